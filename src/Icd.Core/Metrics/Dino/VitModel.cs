using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Metrics.Dino;

/// <summary>
/// transformers' ViTModel as <c>facebook/dino-vitb8</c> ships it (no pooler): patch embedding,
/// class token, position embeddings, pre-norm blocks, final LayerNorm. PIE-Bench reads the keys of
/// the last block's attention for its structure distance.
/// </summary>
public sealed class VitModel : Module
{
    private readonly VitConfig _config;
    private readonly Tensor _clsToken, _positionEmbeddings;
    private readonly Conv2d _projection;
    private readonly ModuleList<VitLayer> _layers;
    private readonly LayerNorm _layerNorm;

    public VitModel(VitConfig config)
    {
        _config = config.Validate();
        var embeddings = Child("embeddings", new Container());
        long grid = config.ImageSize / config.PatchSize;
        _clsToken = embeddings.AddParameter("cls_token", Tensor.Zeros([1, 1, config.HiddenSize]));
        _positionEmbeddings = embeddings.AddParameter("position_embeddings", Tensor.Zeros([1, grid * grid + 1, config.HiddenSize]));
        _projection = embeddings.Add("patch_embeddings", new Container())
            .Add("projection", new Conv2d(config.NumChannels, config.HiddenSize, config.PatchSize, stride: config.PatchSize));
        _layers = Child("encoder", new Container()).Add("layer", new ModuleList<VitLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new VitLayer(config))));
        _layerNorm = Child("layernorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
    }

    public VitConfig Config => _config;

    public static VitModel Load(string directory) =>
        HfModelFolder.Load(directory, "DINO ViT", path => new VitModel(VitConfig.Load(path)),
            name => name.StartsWith("pooler.", StringComparison.Ordinal) ? null : name);   // a pooler, if shipped, is unused

    /// <summary>Pixel values (B, C, H, W) → the last hidden state (B, 1 + patches, D) after the final norm.</summary>
    public Tensor Forward(Tensor pixelValues)
    {
        using var scope = new TensorScope();
        var h = Embed(pixelValues);
        foreach (var layer in _layers.Items) h = layer.Forward(h, false, out _);
        return _layerNorm.Forward(h).To(DType.Float32).MoveToOuterScope();
    }

    /// <summary>The key projection of block <paramref name="block"/> (default: the last), (B, 1 + patches, D)
    /// with the heads side by side: what PIE-Bench's VitExtractor hooks from <c>attn.qkv</c>.</summary>
    public Tensor Keys(Tensor pixelValues, int block = -1)
    {
        using var scope = new TensorScope();
        int last = block < 0 ? _layers.Count + block : block;
        if (last < 0 || last >= _layers.Count) throw new ArgumentOutOfRangeException(nameof(block), $"the model has {_layers.Count} blocks");
        var h = Embed(pixelValues);
        for (int i = 0; i < last; i++) h = _layers[i].Forward(h, false, out _);
        _layers[last].Forward(h, true, out var keys);
        return keys!.To(DType.Float32).MoveToOuterScope();
    }

    private Tensor Embed(Tensor pixelValues)
    {
        long height = pixelValues.Size(2), width = pixelValues.Size(3);
        if (pixelValues.Dim != 4 || pixelValues.Size(1) != _config.NumChannels || height < _config.PatchSize || width < _config.PatchSize)
            throw new ArgumentException($"ViT takes (B, {_config.NumChannels}, H, W) pixel values with H, W ≥ {_config.PatchSize}, got [{string.Join(", ", pixelValues.Shape)}]", nameof(pixelValues));
        var patches = _projection.Forward(pixelValues.To(_projection.Weight.DType)).Flatten(2).Transpose(1, 2);
        var h = Tensor.Cat([_clsToken.Expand(patches.Size(0), -1, -1), patches], 1);
        // DINO (the model PIE-Bench loads through torch.hub) interpolates in the weights' dtype.
        return h + PositionEmbeddings.Interpolate(_positionEmbeddings, height / _config.PatchSize, width / _config.PatchSize, inFloat32: false);
    }
}

/// <summary>ViTLayer: x + attn(layernorm_before(x)), then x + output.dense(act(intermediate.dense(layernorm_after(x)))).</summary>
public sealed class VitLayer : Module
{
    private readonly LayerNorm _before, _after;
    private readonly VitAttention _attention;
    private readonly Linear _intermediate, _output;
    private readonly string _act;

    public VitLayer(VitConfig config)
    {
        _attention = Child("attention", new VitAttention(config.HiddenSize, config.NumAttentionHeads, config.QkvBias));
        _intermediate = Child("intermediate", new Container()).Add("dense", new Linear(config.HiddenSize, config.IntermediateSize));
        _output = Child("output", new Container()).Add("dense", new Linear(config.IntermediateSize, config.HiddenSize));
        _before = Child("layernorm_before", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        _after = Child("layernorm_after", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        _act = config.HiddenAct;
    }

    public Tensor Forward(Tensor h, bool keepKeys, out Tensor? keys)
    {
        h = h + _attention.Forward(_before.Forward(h), keepKeys, out keys);
        return h + _output.Forward(Activations.Apply(_act, _intermediate.Forward(_after.Forward(h))));
    }
}
