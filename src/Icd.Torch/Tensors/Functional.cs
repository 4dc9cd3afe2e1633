using Icd.Torch.Interop;

namespace Icd.Torch;

public enum InterpolationMode
{
    Nearest,
    NearestExact,
    Bilinear,
    Bicubic,
}

public enum Reduction
{
    None = 0,
    Mean = 1,
    Sum = 2,
}

/// <summary>Neural-network functions (PyTorch's <c>torch.nn.functional</c>).</summary>
public static class Functional
{
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) =>
        Op.Get("aten::linear").Call(input, weight, bias);

    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null,
        long stride = 1, long padding = 0, long dilation = 1, long groups = 1) =>
        Op.Get("aten::conv2d").Call(input, weight, bias, new[] { stride, stride }, new[] { padding, padding },
            new[] { dilation, dilation }, groups);

    public static Tensor GroupNorm(Tensor input, long groups, Tensor? weight, Tensor? bias, double eps) =>
        Op.Get("aten::group_norm").Call(input, groups, weight, bias, eps, true);

    public static Tensor LayerNorm(Tensor input, long[] normalizedShape, Tensor? weight, Tensor? bias, double eps) =>
        Op.Get("aten::layer_norm").Call(input, normalizedShape, weight, bias, eps, true);

    public static Tensor Embedding(Tensor weight, Tensor indices) =>
        Op.Get("aten::embedding").Call(weight, indices, -1, false, false);

    /// <summary>Inverted dropout (uses libtorch's global generator; seed it with <see cref="TorchRuntime.ManualSeed"/>).</summary>
    public static Tensor Dropout(Tensor input, double p, bool training) =>
        Op.Get("aten::dropout").Call(input, p, training);

    /// <summary>Resizes the last two dimensions of an NCHW tensor to (height, width).</summary>
    public static Tensor Interpolate(Tensor input, long height, long width, InterpolationMode mode,
        bool alignCorners = false, bool antialias = false)
    {
        long[] size = [height, width];
        if (antialias && mode is not (InterpolationMode.Bilinear or InterpolationMode.Bicubic))
            throw new ArgumentException($"antialias applies to bilinear and bicubic, not {mode}", nameof(antialias));
        return mode switch
        {
            InterpolationMode.Nearest => Op.Get("aten::upsample_nearest2d", "vec").Call(input, size, Arg.None),
            InterpolationMode.NearestExact => Op.Get("aten::_upsample_nearest_exact2d", "vec").Call(input, size, Arg.None),
            InterpolationMode.Bilinear => Op.Get(antialias ? "aten::_upsample_bilinear2d_aa" : "aten::upsample_bilinear2d", "vec")
                .Call(input, size, alignCorners, Arg.None),
            InterpolationMode.Bicubic => Op.Get(antialias ? "aten::_upsample_bicubic2d_aa" : "aten::upsample_bicubic2d", "vec")
                .Call(input, size, alignCorners, Arg.None),
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
    }

    /// <summary>Resizes by a scale factor (e.g. 2.0 for the UNet's nearest upsampler).</summary>
    public static Tensor Interpolate(Tensor input, double scale, InterpolationMode mode)
    {
        double[] scales = [scale, scale];
        return mode switch
        {
            InterpolationMode.Nearest => Op.Get("aten::upsample_nearest2d", "vec").Call(input, Arg.None, scales),
            InterpolationMode.Bilinear => Op.Get("aten::upsample_bilinear2d", "vec").Call(input, Arg.None, false, scales),
            _ => throw new ArgumentException($"scale-factor resize supports nearest and bilinear, not {mode}", nameof(mode)),
        };
    }

    /// <summary>Resizes by per-axis scale factors, the output size floor(size·scale), sampling
    /// positions from the factors themselves (F.interpolate(scale_factor=(sh, sw)) without
    /// recompute_scale_factor, as DINO's position-embedding interpolation calls it).</summary>
    public static Tensor Interpolate(Tensor input, double scaleHeight, double scaleWidth, InterpolationMode mode, bool alignCorners = false)
    {
        double[] scales = [scaleHeight, scaleWidth];
        return mode switch
        {
            InterpolationMode.Bilinear => Op.Get("aten::upsample_bilinear2d", "vec").Call(input, Arg.None, alignCorners, scales),
            InterpolationMode.Bicubic => Op.Get("aten::upsample_bicubic2d", "vec").Call(input, Arg.None, alignCorners, scales),
            _ => throw new ArgumentException($"per-axis scale-factor resize supports bilinear and bicubic, not {mode}", nameof(mode)),
        };
    }

    public static Tensor AvgPool2d(Tensor input, long kernel, long stride, long padding = 0, bool countIncludePad = true) =>
        Op.Get("aten::avg_pool2d").Call(input, new[] { kernel, kernel }, new[] { stride, stride },
            new[] { padding, padding }, false, countIncludePad, Arg.None);

    /// <summary>A convolution with a rectangular kernel, (kh, kw) strides and paddings (Inception's 1×7 and 7×1).</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (long H, long W) stride, (long H, long W) padding) =>
        Op.Get("aten::conv2d").Call(input, weight, bias, new[] { stride.H, stride.W }, new[] { padding.H, padding.W },
            new[] { 1L, 1L }, 1L);

    public static Tensor MaxPool2d(Tensor input, long kernel, long stride, long padding = 0, bool ceilMode = false) =>
        Op.Get("aten::max_pool2d").Call(input, new[] { kernel, kernel }, new[] { stride, stride },
            new[] { padding, padding }, new[] { 1L, 1L }, ceilMode);

    public static Tensor AdaptiveAvgPool2d(Tensor input, long height, long width) =>
        Op.Get("aten::adaptive_avg_pool2d").Call(input, new[] { height, width });

    /// <summary>F.unfold: (N, C, H, W) → (N, C·k·k, L) sliding blocks.</summary>
    public static Tensor Unfold(Tensor input, long kernel, long stride, long padding = 0, long dilation = 1) =>
        Op.Get("aten::im2col").Call(input, new[] { kernel, kernel }, new[] { dilation, dilation },
            new[] { padding, padding }, new[] { stride, stride });

    public static Tensor OneHot(Tensor indices, long numClasses) => Op.Get("aten::one_hot").Call(indices, numClasses);

    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Op.Get("aten::mse_loss").Call(input, target, (long)reduction);

    public static Tensor CosineSimilarity(Tensor a, Tensor b, long dim = 1, double eps = 1e-8) =>
        Op.Get("aten::cosine_similarity").Call(a, b, dim, eps);

    public static Tensor Softmax(Tensor input, long dim) => input.Softmax(dim);
}
