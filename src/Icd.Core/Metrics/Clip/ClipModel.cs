using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Metrics.Clip;

/// <summary>
/// transformers' CLIPModel: both towers and their projections into the joint space, loaded from
/// a Hugging Face folder (<c>config.json</c> + <c>model.safetensors</c> or <c>pytorch_model.bin</c>).
/// Features come back un-normalised, as <c>get_image_features</c> / <c>get_text_features</c> return them.
/// </summary>
public sealed class ClipModel : Module
{
    private readonly ClipTextTransformer _textModel;
    private readonly ClipVisionTransformer _visionModel;
    private readonly Linear _visualProjection, _textProjection;

    public ClipModel(ClipConfig config)
    {
        Config = config.Validate();
        _textModel = Child("text_model", new ClipTextTransformer(config.TextConfig));
        _visionModel = Child("vision_model", new ClipVisionTransformer(config.VisionConfig));
        _visualProjection = Child("visual_projection", new Linear(config.VisionConfig.HiddenSize, config.ProjectionDim, bias: false));
        _textProjection = Child("text_projection", new Linear(config.TextConfig.HiddenSize, config.ProjectionDim, bias: false));
        Parameter("logit_scale", Tensor.Full([], 2.6592, DType.Float32));
    }

    public ClipConfig Config { get; }

    public ClipVisionTransformer VisionModel => _visionModel;

    public ClipTextTransformer TextModel => _textModel;

    /// <summary>Loads a CLIPModel folder. Missing files are errors that name what is needed.</summary>
    public static ClipModel Load(string directory) => HfModelFolder.Load(directory, "CLIP", path => new ClipModel(ClipConfig.Load(path)));

    /// <summary>Pixel values (B, 3, S, S) → image embeddings (B, projection_dim).</summary>
    public Tensor ImageFeatures(Tensor pixelValues)
    {
        using var states = _visionModel.Forward(pixelValues);
        return Project(_visualProjection, states.PoolerOutput);
    }

    /// <summary>Token ids (B, T) → text embeddings (B, projection_dim), pooled at each row's end token.</summary>
    public Tensor TextFeatures(Tensor inputIds)
    {
        using var scope = new TensorScope();
        var states = _textModel.Forward(inputIds);
        var pooled = _textModel.Pool(states.LastHiddenState, inputIds);
        return Project(_textProjection, pooled).MoveToOuterScope();
    }

    private static Tensor Project(Linear projection, Tensor pooled)
    {
        using var scope = new TensorScope();
        return projection.Forward(pooled.To(projection.Weight.DType)).To(DType.Float32).MoveToOuterScope();
    }
}
