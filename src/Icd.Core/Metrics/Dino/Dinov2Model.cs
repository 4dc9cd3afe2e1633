using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Metrics.Dino;

/// <summary>
/// transformers' Dinov2Model (<c>facebook/dinov2-base</c>): patch embedding, class token, position
/// embeddings interpolated to the input's patch grid, pre-norm blocks with layer scale, final
/// LayerNorm. iCD's preservation metric is the cosine of <c>pooler_output</c> (the normalised class token).
/// </summary>
public sealed class Dinov2Model : Module
{
    private readonly Dinov2Config _config;
    private readonly Tensor _clsToken, _positionEmbeddings;
    private readonly Conv2d _projection;
    private readonly ModuleList<Dinov2Layer> _layers;
    private readonly LayerNorm _layerNorm;

    public Dinov2Model(Dinov2Config config)
    {
        _config = config.Validate();
        var embeddings = Child("embeddings", new Container());
        long grid = config.ImageSize / config.PatchSize;
        _clsToken = embeddings.AddParameter("cls_token", Tensor.Zeros([1, 1, config.HiddenSize]));
        embeddings.AddParameter("mask_token", Tensor.Zeros([1, config.HiddenSize]));   // masked pre-training only
        _positionEmbeddings = embeddings.AddParameter("position_embeddings", Tensor.Zeros([1, grid * grid + 1, config.HiddenSize]));
        _projection = embeddings.Add("patch_embeddings", new Container())
            .Add("projection", new Conv2d(config.NumChannels, config.HiddenSize, config.PatchSize, stride: config.PatchSize));
        _layers = Child("encoder", new Container()).Add("layer", new ModuleList<Dinov2Layer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new Dinov2Layer(config))));
        _layerNorm = Child("layernorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
    }

    public static Dinov2Model Load(string directory) => HfModelFolder.Load(directory, "DINOv2", path => new Dinov2Model(Dinov2Config.Load(path)));

    /// <summary>Pixel values (B, C, H, W), H and W multiples of the patch size → (last hidden
    /// state (B, 1 + patches, D), pooler output (B, D)).</summary>
    public (Tensor LastHiddenState, Tensor PoolerOutput) Forward(Tensor pixelValues)
    {
        using var scope = new TensorScope();
        long height = pixelValues.Size(2), width = pixelValues.Size(3);
        if (pixelValues.Dim != 4 || pixelValues.Size(1) != _config.NumChannels || height < _config.PatchSize || width < _config.PatchSize)
            throw new ArgumentException($"DINOv2 takes (B, {_config.NumChannels}, H, W) pixel values with H, W ≥ {_config.PatchSize}, got [{string.Join(", ", pixelValues.Shape)}]", nameof(pixelValues));
        var patches = _projection.Forward(pixelValues.To(_projection.Weight.DType)).Flatten(2).Transpose(1, 2);
        long b = patches.Size(0);
        var h = Tensor.Cat([_clsToken.Expand(b, -1, -1), patches], 1);
        // transformers 4.39 interpolates the table in float32 whatever the weights' dtype.
        h = h + PositionEmbeddings.Interpolate(_positionEmbeddings, height / _config.PatchSize, width / _config.PatchSize, inFloat32: true);
        foreach (var layer in _layers.Items) h = layer.Forward(h);
        h = _layerNorm.Forward(h);
        return (h.To(DType.Float32).MoveToOuterScope(), h.Select(1, 0).To(DType.Float32).MoveToOuterScope());
    }
}

/// <summary>Dinov2Layer: x + λ₁·attn(norm1(x)), then x + λ₂·mlp(norm2(x)).</summary>
public sealed class Dinov2Layer : Module
{
    private readonly LayerNorm _norm1, _norm2;
    private readonly VitAttention _attention;
    private readonly Tensor _lambda1, _lambda2;
    private readonly Linear _fc1, _fc2;
    private readonly string _act;

    public Dinov2Layer(Dinov2Config config)
    {
        _norm1 = Child("norm1", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        _attention = Child("attention", new VitAttention(config.HiddenSize, config.NumAttentionHeads, config.QkvBias));
        _lambda1 = Child("layer_scale1", new Container()).AddParameter("lambda1", Tensor.Full([config.HiddenSize], config.LayerScaleValue));
        _norm2 = Child("norm2", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        var mlp = Child("mlp", new Container());
        _fc1 = mlp.Add("fc1", new Linear(config.HiddenSize, config.IntermediateSize));
        _fc2 = mlp.Add("fc2", new Linear(config.IntermediateSize, config.HiddenSize));
        _lambda2 = Child("layer_scale2", new Container()).AddParameter("lambda1", Tensor.Full([config.HiddenSize], config.LayerScaleValue));
        _act = config.HiddenAct;
    }

    public Tensor Forward(Tensor h)
    {
        h = h + _attention.Forward(_norm1.Forward(h), false, out _) * _lambda1;
        return h + _fc2.Forward(Activations.Apply(_act, _fc1.Forward(_norm2.Forward(h)))) * _lambda2;
    }
}
