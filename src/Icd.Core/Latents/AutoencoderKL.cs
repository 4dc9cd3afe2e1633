using Icd.Blocks;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Latents;

/// <summary>The latent distribution of an image: mean and log-variance (clamped to [−30, 20]),
/// both unscaled (before <see cref="VaeConfig.ScalingFactor"/>).</summary>
public sealed record LatentDistribution(Tensor Mean, Tensor LogVar) : IDisposable
{
    /// <summary>mean + exp(logvar/2)·ε, with ε from <paramref name="generator"/> (diffusers' sample()).</summary>
    public Tensor Sample(Generator generator)
    {
        using var scope = new TensorScope();
        var eps = Tensor.Randn(Mean.Shape, generator, Mean.DType, Mean.Device);
        return (Mean + (LogVar * 0.5).Exp() * eps).MoveToOuterScope();
    }

    public void Dispose()
    {
        Mean.Dispose();
        LogVar.Dispose();
    }
}

/// <summary>diffusers' AutoencoderKL: encoder → quant_conv → (mean, logvar); post_quant_conv →
/// decoder. Images are NCHW in [−1, 1].</summary>
public sealed class AutoencoderKL : Module
{
    private readonly VaeEncoder _encoder;
    private readonly VaeDecoder _decoder;
    private readonly Conv2d _quantConv, _postQuantConv;

    public AutoencoderKL(VaeConfig config)
    {
        Config = config.Validate();
        _encoder = Child("encoder", new VaeEncoder(config));
        _decoder = Child("decoder", new VaeDecoder(config));
        _quantConv = Child("quant_conv", new Conv2d(2 * config.LatentChannels, 2 * config.LatentChannels, 1));
        _postQuantConv = Child("post_quant_conv", new Conv2d(config.LatentChannels, config.LatentChannels, 1));
    }

    public VaeConfig Config { get; }

    public LatentDistribution Encode(Tensor image)
    {
        int f = Config.DownscaleFactor;
        if (image.Dim != 4 || image.Size(1) != Config.InChannels)
            throw new ArgumentException($"image must be (B, {Config.InChannels}, H, W), got {image.Describe()}", nameof(image));
        if (image.Size(2) % f != 0 || image.Size(3) % f != 0)
            throw new ArgumentException($"image height and width must be multiples of {f}, got {image.Size(2)}×{image.Size(3)}", nameof(image));
        using var scope = new TensorScope();
        // Computes in the weights' dtype; the moments come back in the image's (float32 for pipelines).
        var inputType = image.DType;
        if (inputType != ComputeType) image = image.To(ComputeType);
        var moments = _quantConv.Forward(_encoder.Forward(image));
        if (moments.DType != inputType) moments = moments.To(inputType);
        var parts = moments.Chunk(2, 1);
        return new LatentDistribution(parts[0].MoveToOuterScope(), parts[1].Clamp(-30, 20).MoveToOuterScope());
    }

    /// <summary>Latent (already divided by the scaling factor) → raw decoder output (about [−1, 1]).</summary>
    public Tensor Decode(Tensor latent)
    {
        if (latent.Dim != 4 || latent.Size(1) != Config.LatentChannels)
            throw new ArgumentException($"latent must be (B, {Config.LatentChannels}, h, w), got {latent.Describe()}", nameof(latent));
        using var scope = new TensorScope();
        var inputType = latent.DType;
        if (inputType != ComputeType) latent = latent.To(ComputeType);
        var image = _decoder.Forward(_postQuantConv.Forward(latent));
        return (image.DType == inputType ? image : image.To(inputType)).MoveToOuterScope();
    }

    /// <summary>The dtype the autoencoder computes in (its weights').</summary>
    public DType ComputeType => _postQuantConv.Weight.DType;
}

/// <summary>VAE mid block (UNetMidBlock2D): resnet, single-head self-attention, resnet.</summary>
public sealed class VaeMidBlock : Module
{
    private readonly ModuleList<ResnetBlock2D> _resnets;
    private readonly ModuleList<SpatialSelfAttention> _attentions;

    public VaeMidBlock(long channels, long groups)
    {
        _attentions = Child("attentions", new ModuleList<SpatialSelfAttention>([new SpatialSelfAttention(channels, groups, 1e-6)]));
        _resnets = Child("resnets", new ModuleList<ResnetBlock2D>(
            Enumerable.Range(0, 2).Select(_ => new ResnetBlock2D(channels, channels, null, groups, 1e-6))));
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = new TensorScope();
        var h = _resnets[0].Forward(x);
        h = _attentions[0].Forward(h);
        return _resnets[1].Forward(h).MoveToOuterScope();
    }
}

/// <summary>A VAE encoder or decoder stage: resnets then an optional down- or upsampler
/// (DownEncoderBlock2D / UpDecoderBlock2D).</summary>
public sealed class VaeStage : Module
{
    private readonly ModuleList<ResnetBlock2D> _resnets;
    private readonly Downsample2D? _down;
    private readonly Upsample2D? _up;

    public VaeStage(long inChannels, long outChannels, int layers, long groups, bool downsample, bool upsample)
    {
        _resnets = Child("resnets", new ModuleList<ResnetBlock2D>(Enumerable.Range(0, layers)
            .Select(i => new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, null, groups, 1e-6))));
        if (downsample) _down = Child("downsamplers.0", new Downsample2D(outChannels, padding: 0));
        if (upsample) _up = Child("upsamplers.0", new Upsample2D(outChannels));
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = new TensorScope();
        var h = x;
        foreach (var r in _resnets.Items) h = r.Forward(h);
        if (_down is not null) h = _down.Forward(h);
        if (_up is not null) h = _up.Forward(h);
        return h.MoveToOuterScope();
    }
}

public sealed class VaeEncoder : Module
{
    private readonly Conv2d _convIn, _convOut;
    private readonly ModuleList<VaeStage> _downBlocks;
    private readonly VaeMidBlock _midBlock;
    private readonly GroupNorm _convNormOut;

    public VaeEncoder(VaeConfig config)
    {
        var c = config.BlockOutChannels;
        _convIn = Child("conv_in", new Conv2d(config.InChannels, c[0], 3, padding: 1));
        _downBlocks = Child("down_blocks", new ModuleList<VaeStage>(Enumerable.Range(0, c.Length).Select(i =>
            new VaeStage(i == 0 ? c[0] : c[i - 1], c[i], config.LayersPerBlock, config.NormNumGroups, downsample: i < c.Length - 1, upsample: false))));
        _midBlock = Child("mid_block", new VaeMidBlock(c[^1], config.NormNumGroups));
        _convNormOut = Child("conv_norm_out", new GroupNorm(config.NormNumGroups, c[^1], 1e-6));
        _convOut = Child("conv_out", new Conv2d(c[^1], 2 * config.LatentChannels, 3, padding: 1)); // mean and logvar
    }

    public Tensor Forward(Tensor image)
    {
        using var scope = new TensorScope();
        var h = _convIn.Forward(image);
        foreach (var block in _downBlocks.Items) h = block.Forward(h);
        h = _midBlock.Forward(h);
        return _convOut.Forward(_convNormOut.Forward(h).Silu()).MoveToOuterScope();
    }
}

public sealed class VaeDecoder : Module
{
    private readonly Conv2d _convIn, _convOut;
    private readonly VaeMidBlock _midBlock;
    private readonly ModuleList<VaeStage> _upBlocks;
    private readonly GroupNorm _convNormOut;

    public VaeDecoder(VaeConfig config)
    {
        var r = config.BlockOutChannels.Reverse().ToArray();
        _convIn = Child("conv_in", new Conv2d(config.LatentChannels, r[0], 3, padding: 1));
        _midBlock = Child("mid_block", new VaeMidBlock(r[0], config.NormNumGroups));
        _upBlocks = Child("up_blocks", new ModuleList<VaeStage>(Enumerable.Range(0, r.Length).Select(i =>
            new VaeStage(i == 0 ? r[0] : r[i - 1], r[i], config.LayersPerBlock + 1, config.NormNumGroups, downsample: false, upsample: i < r.Length - 1))));
        _convNormOut = Child("conv_norm_out", new GroupNorm(config.NormNumGroups, r[^1], 1e-6));
        _convOut = Child("conv_out", new Conv2d(r[^1], config.OutChannels, 3, padding: 1));
    }

    public Tensor Forward(Tensor latent)
    {
        using var scope = new TensorScope();
        var h = _midBlock.Forward(_convIn.Forward(latent));
        foreach (var block in _upBlocks.Items) h = block.Forward(h);
        return _convOut.Forward(_convNormOut.Forward(h).Silu()).MoveToOuterScope();
    }
}
