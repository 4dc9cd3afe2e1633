using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Metrics.ImageReward;

/// <summary>BLIP's vision transformer settings (<c>vit='large'</c> in ImageReward: 224², patch 16, width 1024, 24 blocks, 16 heads).</summary>
public sealed record BlipVisionConfig(int ImageSize = 224, int PatchSize = 16, int Width = 1024, int Depth = 24, int Heads = 16,
    double MlpRatio = 4, bool QkvBias = true, double LayerNormEps = 1e-6)
{
    public int Tokens => 1 + (ImageSize / PatchSize) * (ImageSize / PatchSize);

    public BlipVisionConfig Validate(string source)
    {
        if (Width <= 0 || Heads <= 0 || Width % Heads != 0) throw new InvalidDataException($"{source}: embed_dim {Width} is not divisible by num_heads {Heads}");
        if (PatchSize <= 0 || ImageSize % PatchSize != 0) throw new InvalidDataException($"{source}: img_size {ImageSize} is not a multiple of patch_size {PatchSize}");
        if (Depth <= 0 || MlpRatio <= 0) throw new InvalidDataException($"{source}: depth and mlp_ratio must be positive");
        return this;
    }
}

/// <summary>
/// BLIP's VisionTransformer (timm's ViT as BLIP copies it): patch convolution with bias, class
/// token, learned positions, pre-norm blocks with a fused <c>qkv</c>, final LayerNorm. Returns every
/// token: ImageReward's text encoder cross-attends to all of them.
/// </summary>
public sealed class BlipVisionTransformer : Module
{
    private readonly BlipVisionConfig _config;
    private readonly Conv2d _patch;
    private readonly Tensor _clsToken, _posEmbed;
    private readonly ModuleList<BlipBlock> _blocks;
    private readonly LayerNorm _norm;

    public BlipVisionTransformer(BlipVisionConfig config)
    {
        _config = config;
        _patch = Child("patch_embed", new Container()).Add("proj", new Conv2d(3, config.Width, config.PatchSize, stride: config.PatchSize));
        _clsToken = Parameter("cls_token", Tensor.Zeros([1, 1, config.Width]));
        _posEmbed = Parameter("pos_embed", Tensor.Zeros([1, config.Tokens, config.Width]));
        _blocks = Child("blocks", new ModuleList<BlipBlock>(Enumerable.Range(0, config.Depth).Select(_ => new BlipBlock(config))));
        _norm = Child("norm", new LayerNorm(config.Width, config.LayerNormEps));
    }

    /// <summary>Pixel values (B, 3, S, S) at the configured size → image embeddings (B, tokens, width).</summary>
    public Tensor Forward(Tensor pixelValues)
    {
        using var scope = new TensorScope();
        if (pixelValues.Dim != 4 || pixelValues.Size(1) != 3 || pixelValues.Size(2) != _config.ImageSize || pixelValues.Size(3) != _config.ImageSize)
            throw new ArgumentException($"BLIP's vision tower takes (B, 3, {_config.ImageSize}, {_config.ImageSize}) pixel values, got [{string.Join(", ", pixelValues.Shape)}]", nameof(pixelValues));
        var x = _patch.Forward(pixelValues).Flatten(2).Transpose(1, 2);
        x = Tensor.Cat([_clsToken.Expand(x.Size(0), -1, -1), x], 1) + _posEmbed;
        foreach (var block in _blocks.Items) x = block.Forward(x);
        return _norm.Forward(x).MoveToOuterScope();
    }
}

/// <summary>BLIP's Block: x + attn(norm1(x)), then x + mlp(norm2(x)); attention with a fused qkv
/// projection and scores scaled by d^−½.</summary>
public sealed class BlipBlock : Module
{
    private readonly LayerNorm _norm1, _norm2;
    private readonly Linear _qkv, _proj, _fc1, _fc2;
    private readonly long _heads;

    public BlipBlock(BlipVisionConfig config)
    {
        _heads = config.Heads;
        _norm1 = Child("norm1", new LayerNorm(config.Width, config.LayerNormEps));
        var attn = Child("attn", new Container());
        _qkv = attn.Add("qkv", new Linear(config.Width, 3L * config.Width, config.QkvBias));
        _proj = attn.Add("proj", new Linear(config.Width, config.Width));
        _norm2 = Child("norm2", new LayerNorm(config.Width, config.LayerNormEps));
        var mlp = Child("mlp", new Container());
        long hidden = (long)(config.Width * config.MlpRatio);
        _fc1 = mlp.Add("fc1", new Linear(config.Width, hidden));
        _fc2 = mlp.Add("fc2", new Linear(hidden, config.Width));
    }

    public Tensor Forward(Tensor x)
    {
        long b = x.Size(0), n = x.Size(1), c = x.Size(2), d = c / _heads;
        var qkv = _qkv.Forward(_norm1.Forward(x)).View(b, n, 3, _heads, d).Permute(2, 0, 3, 1, 4);   // (3, B, heads, N, d)
        var attn = (qkv.Select(0, 0).Matmul(qkv.Select(0, 1).Transpose(-2, -1)) * Math.Pow(d, -0.5)).Softmax(-1);
        var mixed = attn.Matmul(qkv.Select(0, 2)).Transpose(1, 2).Reshape(b, n, c);
        x = x + _proj.Forward(mixed);
        return x + _fc2.Forward(_fc1.Forward(_norm2.Forward(x)).Gelu());
    }
}
