using Icd.Blocks;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Denoising;

/// <summary>CrossAttnDownBlock2D (with attentions) or DownBlock2D (without): resnets, optional
/// transformers, optional stride-2 downsampler. Returns the output and every intermediate state
/// the up path will concatenate as skip connections.</summary>
public sealed class DownBlock : Module
{
    private readonly ModuleList<ResnetBlock2D> _resnets;
    private readonly ModuleList<Transformer2DModel>? _attentions;
    private readonly Downsample2D? _downsampler;
    private readonly UNetHooks _hooks;

    public DownBlock(UNetConfig config, int index, long inChannels, long outChannels, bool crossAttention,
        bool addDownsample, UNetHooks hooks)
    {
        _hooks = hooks;
        string path = $"down_blocks.{index}";
        _resnets = Child("resnets", new ModuleList<ResnetBlock2D>());
        for (int i = 0; i < config.LayersPerBlock; i++)
        {
            _resnets.Add(new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, config.TimeEmbedDim,
                config.NormNumGroups, config.NormEps, config.Dropout, hooks, $"{path}.resnets.{i}"));
        }
        if (crossAttention)
        {
            _attentions = Child("attentions", new ModuleList<Transformer2DModel>());
            for (int i = 0; i < config.LayersPerBlock; i++)
            {
                _attentions.Add(new Transformer2DModel(outChannels, config.HeadsFor(index), config.TransformerLayersFor(index),
                    config.CrossAttentionDim, config.NormNumGroups, config.UseLinearProjection, hooks,
                    new TransformerLocation(AttentionPlace.Down, index, i), $"{path}.attentions.{i}"));
            }
        }
        if (addDownsample) _downsampler = Child("downsamplers.0", new Downsample2D(outChannels, config.DownsamplePadding));
    }

    public int ResnetCount => _resnets.Count;

    public (Tensor Output, List<Tensor> Skips) Forward(Tensor x, Tensor temb, Tensor context)
    {
        var skips = new List<Tensor>();
        var h = x;
        for (int i = 0; i < _resnets.Count; i++)
        {
            var resnet = _resnets[i];
            h = _hooks.Run(resnet, a => resnet.Forward(a[0], a[1]), h, temb);
            if (_attentions is not null)
            {
                var attention = _attentions[i];
                h = _hooks.Run(attention, a => attention.Forward(a[0], a[1]), h, context);
            }
            skips.Add(h);
        }
        if (_downsampler is not null)
        {
            h = _downsampler.Forward(h);
            skips.Add(h);
        }
        return (h, skips);
    }
}

/// <summary>UNetMidBlock2DCrossAttn: resnet, then (transformer, resnet) pairs.</summary>
public sealed class MidBlock : Module
{
    private readonly ModuleList<ResnetBlock2D> _resnets;
    private readonly ModuleList<Transformer2DModel> _attentions;
    private readonly UNetHooks _hooks;

    public MidBlock(UNetConfig config, UNetHooks hooks)
    {
        _hooks = hooks;
        int last = config.BlockOutChannels.Length - 1;
        long channels = config.BlockOutChannels[last];
        if (config.MidBlockScaleFactor != 1.0)
            throw new InvalidDataException($"unet/config.json: mid_block_scale_factor={config.MidBlockScaleFactor} is not supported");
        _attentions = Child("attentions", new ModuleList<Transformer2DModel>([
            new Transformer2DModel(channels, config.HeadsFor(last), config.TransformerLayersFor(last), config.CrossAttentionDim,
                config.NormNumGroups, config.UseLinearProjection, hooks, new TransformerLocation(AttentionPlace.Mid, 0, 0), "mid_block.attentions.0"),
        ]));
        _resnets = Child("resnets", new ModuleList<ResnetBlock2D>(Enumerable.Range(0, 2).Select(i =>
            new ResnetBlock2D(channels, channels, config.TimeEmbedDim, config.NormNumGroups, config.NormEps, config.Dropout, hooks, $"mid_block.resnets.{i}"))));
    }

    public Tensor Forward(Tensor x, Tensor temb, Tensor context)
    {
        var h = _hooks.Run(_resnets[0], a => _resnets[0].Forward(a[0], a[1]), x, temb);
        for (int i = 0; i < _attentions.Count; i++)
        {
            var (attention, resnet) = (_attentions[i], _resnets[i + 1]);
            h = _hooks.Run(attention, a => attention.Forward(a[0], a[1]), h, context);
            h = _hooks.Run(resnet, a => resnet.Forward(a[0], a[1]), h, temb);
        }
        return h;
    }
}

/// <summary>CrossAttnUpBlock2D or UpBlock2D: each resnet takes the concatenation of the running
/// state and the matching skip connection (consumed last-in, first-out), then an optional
/// transformer; finally an optional ×2 upsampler.</summary>
public sealed class UpBlock : Module
{
    private readonly ModuleList<ResnetBlock2D> _resnets;
    private readonly ModuleList<Transformer2DModel>? _attentions;
    private readonly Upsample2D? _upsampler;
    private readonly UNetHooks _hooks;

    public UpBlock(UNetConfig config, int index, long inChannels, long prevOutputChannels, long outChannels,
        int heads, int transformerLayers, bool crossAttention, bool addUpsample, UNetHooks hooks)
    {
        _hooks = hooks;
        string path = $"up_blocks.{index}";
        int layers = config.LayersPerBlock + 1;
        _resnets = Child("resnets", new ModuleList<ResnetBlock2D>());
        for (int i = 0; i < layers; i++)
        {
            long skipChannels = i == layers - 1 ? inChannels : outChannels;
            long resnetIn = i == 0 ? prevOutputChannels : outChannels;
            _resnets.Add(new ResnetBlock2D(resnetIn + skipChannels, outChannels, config.TimeEmbedDim,
                config.NormNumGroups, config.NormEps, config.Dropout, hooks, $"{path}.resnets.{i}"));
        }
        if (crossAttention)
        {
            _attentions = Child("attentions", new ModuleList<Transformer2DModel>());
            for (int i = 0; i < layers; i++)
            {
                _attentions.Add(new Transformer2DModel(outChannels, heads, transformerLayers, config.CrossAttentionDim,
                    config.NormNumGroups, config.UseLinearProjection, hooks,
                    new TransformerLocation(AttentionPlace.Up, index, i), $"{path}.attentions.{i}"));
            }
        }
        if (addUpsample) _upsampler = Child("upsamplers.0", new Upsample2D(outChannels));
    }

    public int ResnetCount => _resnets.Count;

    /// <param name="skips">The skip connections, popped from the end.</param>
    /// <param name="upsampleSize">The spatial size the upsampler must produce (the next skip's).</param>
    public Tensor Forward(Tensor x, List<Tensor> skips, Tensor temb, Tensor context, (long H, long W)? upsampleSize)
    {
        var h = x;
        for (int i = 0; i < _resnets.Count; i++)
        {
            var skip = skips[^1];
            skips.RemoveAt(skips.Count - 1);
            var resnet = _resnets[i];
            using (var cat = Tensor.Cat([h, skip], 1)) h = _hooks.Run(resnet, a => resnet.Forward(a[0], a[1]), cat, temb);
            if (_attentions is not null)
            {
                var attention = _attentions[i];
                h = _hooks.Run(attention, a => attention.Forward(a[0], a[1]), h, context);
            }
        }
        if (_upsampler is not null) h = _upsampler.Forward(h, upsampleSize?.H, upsampleSize?.W);
        return h;
    }
}
