using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Metrics.Clip;

/// <summary>The two outputs CLIP's users read: every token's state, and the class token after
/// <c>post_layernorm</c> (what <c>visual_projection</c> maps into the joint space).</summary>
public sealed record ClipVisionStates(Tensor LastHiddenState, Tensor PoolerOutput) : IDisposable
{
    public void Dispose()
    {
        LastHiddenState.Dispose();
        PoolerOutput.Dispose();
    }
}

/// <summary>transformers' CLIPVisionTransformer (<c>vision_model</c>): patch convolution without
/// bias, a learned class embedding, absolute position embeddings at the config's image size,
/// <c>pre_layrnorm</c> (the checkpoints' spelling), the CLIP encoder, <c>post_layernorm</c> on the
/// class token.</summary>
public sealed class ClipVisionTransformer : Module
{
    private readonly ClipVisionConfig _config;
    private readonly Tensor _classEmbedding;
    private readonly Conv2d _patchEmbedding;
    private readonly Embedding _positionEmbedding;
    private readonly LayerNorm _preLayerNorm, _postLayerNorm;
    private readonly ModuleList<ClipEncoderLayer> _layers;

    public ClipVisionTransformer(ClipVisionConfig config)
    {
        _config = config;
        var embeddings = Child("embeddings", new Container());
        _classEmbedding = embeddings.AddParameter("class_embedding", Tensor.Zeros([config.HiddenSize]));
        _patchEmbedding = embeddings.Add("patch_embedding",
            new Conv2d(config.NumChannels, config.HiddenSize, config.PatchSize, stride: config.PatchSize, bias: false));
        long positions = (long)config.PatchesPerSide * config.PatchesPerSide + 1;
        _positionEmbedding = embeddings.Add("position_embedding", new Embedding(positions, config.HiddenSize));
        _preLayerNorm = Child("pre_layrnorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        var encoder = Child("encoder", new Container());
        _layers = encoder.Add("layers", new ModuleList<ClipEncoderLayer>(Enumerable.Range(0, config.NumHiddenLayers).Select(_ =>
            new ClipEncoderLayer(config.HiddenSize, config.NumAttentionHeads, config.IntermediateSize, config.HiddenAct, config.LayerNormEps))));
        _postLayerNorm = Child("post_layernorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
    }

    /// <summary>Pixel values (B, C, S, S) at the config's image size, normalised as CLIP's
    /// processor does → the last hidden state (B, 1 + patches, hidden) and the pooled class token.</summary>
    public ClipVisionStates Forward(Tensor pixelValues)
    {
        using var scope = new TensorScope();
        if (pixelValues.Dim != 4 || pixelValues.Size(1) != _config.NumChannels || pixelValues.Size(2) != _config.ImageSize || pixelValues.Size(3) != _config.ImageSize)
            throw new ArgumentException($"CLIP's vision tower takes (B, {_config.NumChannels}, {_config.ImageSize}, {_config.ImageSize}) pixel values, got [{string.Join(", ", pixelValues.Shape)}]", nameof(pixelValues));
        var x = pixelValues.To(_patchEmbedding.Weight.DType);
        var patches = _patchEmbedding.Forward(x).Flatten(2).Transpose(1, 2);         // (B, N, D)
        long b = patches.Size(0);
        var cls = _classEmbedding.View(1, 1, -1).Expand(b, 1, -1);
        var h = Tensor.Cat([cls, patches], 1) + _positionEmbedding.Weight.Unsqueeze(0);
        h = _preLayerNorm.Forward(h);
        foreach (var layer in _layers.Items) h = layer.Forward(h, null);
        var pooled = _postLayerNorm.Forward(h.Select(1, 0));
        return new ClipVisionStates(h.To(DType.Float32).MoveToOuterScope(), pooled.To(DType.Float32).MoveToOuterScope());
    }
}
