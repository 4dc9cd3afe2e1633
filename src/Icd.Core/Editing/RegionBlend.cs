using Icd.Imaging;
using Icd.Torch;

namespace Icd.Editing;

/// <summary>
/// Editing inside a region the user gives (a mask image: white = may change). Both branches of an
/// edit run as one batch [source, target]; after every step the target row is put back to the
/// source row outside the region, x_trg ← x_src + m·(x_trg − x_src), so everything outside is the
/// reconstruction exactly (P2P's LocalBlend rule, METHOD C1, with the user's mask instead of one
/// read from cross-attention). Inside the region the target row can start from partly fresh noise:
/// x_T ← x_T + m·((√(1−λ) − 1)·x_T + √λ·ε), which keeps unit variance and weakens what the
/// inverted noise says about the region (an object's colour, in the Shapes world) by √(1−λ).
/// Equal latents outside do not give equal pixels outside (the decoder sees the whole latent), so
/// <see cref="Outside"/> puts the input's pixels back outside the painted region, fading in over the
/// one latent cell the latent mask was grown by.
/// </summary>
public sealed class RegionBlend : IDisposable
{
    private readonly Tensor _mask;   // (1, 1, h, w) of 0/1 on the latent grid

    /// <param name="pixels">The mask at the model's image size, as the pipelines preprocess images: (1, 3, H, W) in [−1, 1]; a pixel is inside when its mean is above 0 (brighter than mid-gray).</param>
    /// <param name="latentHeight">Latent rows: the mask is max-pooled to the latent grid (a latent cell is inside if any of its pixels is) and grown by one cell, so that edges the decoder spreads stay inside.</param>
    public RegionBlend(Tensor pixels, long latentHeight, long latentWidth)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Dim != 4 || pixels.Size(0) != 1)
            throw new ArgumentException($"the region mask must be one image (1, C, H, W), got ({string.Join(", ", pixels.Shape)})", nameof(pixels));
        long height = pixels.Size(2), width = pixels.Size(3);
        if (height % latentHeight != 0 || width % latentWidth != 0 || height / latentHeight != width / latentWidth)
            throw new ArgumentException($"a {width}×{height} mask does not map onto a {latentWidth}×{latentHeight} latent grid");
        long factor = height / latentHeight;
        using var scope = new TensorScope();
        var inside = pixels.Mean([1], keepDim: true).Gt(0).To(DType.Float32);
        var cells = Functional.MaxPool2d(inside, factor, factor);
        _mask = Functional.MaxPool2d(cells, 3, 1, 1).DetachFromScope();
        InsideCells = (long)_mask.Sum().Item();
        if (InsideCells == 0)
            throw new ArgumentException("the region mask selects no pixel: paint the part of the image that may change white (above mid-gray) and the rest black");
        Outside = new OutsidePaste(inside, factor);
    }

    /// <summary>The decoded edit on the painted pixels, the input's one latent cell beyond them.</summary>
    public OutsidePaste Outside { get; }

    /// <summary>Latent cells inside the region (after growing it by one cell).</summary>
    public long InsideCells { get; }

    /// <summary>The region on the latent grid, (1, 1, h, w) of 0/1.</summary>
    public Tensor Mask => _mask;

    /// <summary>The target row's start: <paramref name="inverted"/> with a share
    /// <paramref name="renoise"/> (λ ∈ [0, 1]) of its variance inside the region replaced by fresh
    /// noise from <paramref name="seed"/>. λ = 0 returns the inverted latent unchanged.</summary>
    public Tensor Start(Tensor inverted, double renoise, ulong seed)
    {
        if (!(renoise is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(renoise), renoise, "the share of fresh noise inside the region must be in [0, 1]");
        if (renoise == 0) return inverted.Share();
        using var generator = new Generator(seed);
        using var fresh = Tensor.Randn(inverted.Shape, generator);
        using var inner = (Math.Sqrt(1 - renoise) - 1) * inverted + Math.Sqrt(renoise) * fresh;
        using var masked = _mask * inner;
        return inverted + masked;
    }

    /// <summary>[source, target] rows → [source, source + m·(target − source)].</summary>
    public Tensor Apply(Tensor rows)
    {
        if (rows.Size(0) != 2)
            throw new ArgumentException($"region blending needs the batch [source, target], got {rows.Size(0)} rows", nameof(rows));
        using var source = rows.Narrow(0, 0, 1);
        using var target = rows.Narrow(0, 1, 1);
        using var difference = target - source;
        using var kept = source + _mask * difference;
        return Tensor.Cat([source, kept], 0);
    }

    /// <summary>The region of an edit of <paramref name="image"/>, or null without a mask. The mask goes
    /// through the same <paramref name="preprocess"/> (crop, resize) as the image, so it must have the
    /// image's size.</summary>
    public static RegionBlend? For(RgbImage image, RgbImage? mask, Func<RgbImage, Tensor> preprocess, long latentHeight, long latentWidth)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (mask is null) return null;
        if (mask.Width != image.Width || mask.Height != image.Height)
            throw new ArgumentException($"the region mask is {mask.Width}×{mask.Height} but the image is {image.Width}×{image.Height}: they must be the same size", nameof(mask));
        using var scope = new TensorScope();
        var pixels = preprocess(mask);
        return new RegionBlend(pixels, latentHeight, latentWidth);
    }

    /// <summary>A mask image from a pixel predicate (white inside, black outside), e.g. a Shapes edit's change mask.</summary>
    public static RgbImage MaskImage(int width, int height, Func<int, bool> inside)
    {
        var pixels = new byte[width * height * 3];
        for (int p = 0; p < width * height; p++)
            if (inside(p)) pixels[3 * p] = pixels[3 * p + 1] = pixels[3 * p + 2] = 255;
        return new RgbImage(width, height, pixels);
    }

    public void Dispose() => _mask.Dispose();
}
