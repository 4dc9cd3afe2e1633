using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Blocks;

/// <summary>diffusers' ResnetBlock2D (default time-embedding mode): GroupNorm → SiLU → conv1
/// (+ projected time embedding) → GroupNorm → SiLU → conv2, plus a 1×1 conv shortcut when the
/// channel count changes.</summary>
public sealed class ResnetBlock2D : Module
{
    private readonly GroupNorm _norm1, _norm2;
    private readonly Conv2d _conv1, _conv2;
    private readonly Conv2d? _convShortcut;
    private readonly Linear? _timeEmbProj;
    private readonly Dropout _dropout;
    private readonly UNetHooks? _hooks;
    private readonly string _path;

    public ResnetBlock2D(long inChannels, long outChannels, long? tembChannels, long groups, double eps,
        double dropout = 0, UNetHooks? hooks = null, string path = "")
    {
        _norm1 = Child("norm1", new GroupNorm(groups, inChannels, eps));
        _conv1 = Child("conv1", new Conv2d(inChannels, outChannels, 3, padding: 1));
        if (tembChannels is not null) _timeEmbProj = Child("time_emb_proj", new Linear(tembChannels.Value, outChannels));
        _norm2 = Child("norm2", new GroupNorm(groups, outChannels, eps));
        _dropout = new Dropout(dropout);
        _conv2 = Child("conv2", new Conv2d(outChannels, outChannels, 3, padding: 1));
        if (inChannels != outChannels) _convShortcut = Child("conv_shortcut", new Conv2d(inChannels, outChannels, 1));
        _hooks = hooks;
        _path = path;
    }

    public Tensor Forward(Tensor x, Tensor? temb = null)
    {
        using var scope = new TensorScope();
        var h = _conv1.Forward(_norm1.Forward(x).Silu());
        if (_timeEmbProj is not null)
        {
            if (temb is null) throw new ArgumentNullException(nameof(temb), "this resnet block needs a time embedding");
            h = h + _timeEmbProj.Forward(temb.Silu()).Unsqueeze(-1).Unsqueeze(-1);
        }
        h = _conv2.Forward(_dropout.Forward(_norm2.Forward(h).Silu()));
        var output = (_convShortcut is null ? x : _convShortcut.Forward(x)) + h;
        _hooks?.Record(_path, output);
        return output.MoveToOuterScope();
    }
}

/// <summary>Stride-2 3×3 conv (<c>downsamplers.0.conv</c>). The VAE's version pads (0, 1, 0, 1)
/// by hand and convolves without padding (<c>padding = 0</c> in its config).</summary>
public sealed class Downsample2D : Module
{
    private readonly Conv2d _conv;
    private readonly long _padding;

    public Downsample2D(long channels, long padding)
    {
        _padding = padding;
        _conv = Child("conv", new Conv2d(channels, channels, 3, stride: 2, padding: padding));
    }

    public Tensor Forward(Tensor x)
    {
        if (_padding != 0) return _conv.Forward(x);
        using var padded = x.Pad([0, 1, 0, 1]);
        return _conv.Forward(padded);
    }
}

/// <summary>Nearest-neighbour ×2 upsampling then a 3×3 conv (<c>upsamplers.0.conv</c>). The
/// output size may be given, as the UNet does when a skip connection has an odd size.</summary>
public sealed class Upsample2D : Module
{
    private readonly Conv2d _conv;

    public Upsample2D(long channels)
    {
        _conv = Child("conv", new Conv2d(channels, channels, 3, padding: 1));
    }

    public Tensor Forward(Tensor x, long? height = null, long? width = null)
    {
        using var up = height is null
            ? Functional.Interpolate(x, 2.0, InterpolationMode.Nearest)
            : Functional.Interpolate(x, height.Value, width!.Value, InterpolationMode.Nearest);
        return _conv.Forward(up);
    }
}
