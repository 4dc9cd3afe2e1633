using Icd.Imaging;
using Icd.Torch;

namespace Icd.Editing;

/// <summary>
/// The last step of an edit confined to a region (the user's mask, or P2P's LocalBlend mask): the
/// decoded edit inside the region, the input's pixels outside it. Keeping the source's latents
/// outside the region is not enough: the VAE decoder's group norms and mid-block attention see the
/// whole latent, so a green circle tints a gray background whose latents never changed (measured on
/// the Shapes demo: red −34, green +16 on the background far from the circle; model card). The
/// weight falls linearly, in chessboard distance, from 1 on the region to 0 <c>band</c> pixels
/// outside it, so the edit's own edges, which the decoder spreads a little, fade in.
/// </summary>
public sealed class OutsidePaste
{
    private readonly float[] _weight;   // Height·Width, row-major

    /// <param name="inside">(1, 1, H, W): 1 inside the region, 0 outside, at the image's size.</param>
    /// <param name="band">Pixels over which the weight falls to 0 outside the region (≥ 0).</param>
    public OutsidePaste(Tensor inside, long band)
    {
        ArgumentNullException.ThrowIfNull(inside);
        if (inside.Dim != 4 || inside.Size(0) != 1 || inside.Size(1) != 1)
            throw new ArgumentException($"the paste region must be (1, 1, H, W), got ({string.Join(", ", inside.Shape)})", nameof(inside));
        ArgumentOutOfRangeException.ThrowIfNegative(band);
        using var scope = new TensorScope();
        // The mean of the region dilated by 0, 1, …, band pixels: (band + 1 − d)/(band + 1) at distance d.
        var region = inside.To(DType.Float32);
        var sum = region;
        for (long k = 1; k <= band; k++) sum = sum + Functional.MaxPool2d(region, 2 * k + 1, 1, k);
        _weight = (sum / (band + 1)).Contiguous().ToArray<float>();
        Height = (int)inside.Size(2);
        Width = (int)inside.Size(3);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>A region given on the latent grid, (1, 1, h, w) of 0/1 (LocalBlend's mask), for a
    /// <paramref name="width"/>×<paramref name="height"/> image: each cell covers its pixels, and the
    /// weight fades over <paramref name="band"/> pixels outside (default: one cell).</summary>
    public static OutsidePaste FromLatentMask(Tensor latentMask, int height, int width, long? band = null)
    {
        ArgumentNullException.ThrowIfNull(latentMask);
        long factor = height / latentMask.Size(2);
        if (factor * latentMask.Size(2) != height || factor * latentMask.Size(3) != width)
            throw new ArgumentException($"a {latentMask.Size(3)}×{latentMask.Size(2)} latent mask does not map onto a {width}×{height} image");
        using var scope = new TensorScope();
        var pixels = Functional.Interpolate(latentMask.To(DType.Float32), height, width, InterpolationMode.Nearest);
        return new OutsidePaste(pixels, band ?? factor);
    }

    /// <summary>The weight of the edit at pixel (x, y).</summary>
    public float Weight(int x, int y) => _weight[y * Width + x];

    /// <summary><paramref name="edited"/> weighted by <see cref="Weight"/>, <paramref name="kept"/>
    /// (the preprocessed input) by its complement, rounded to 8 bits.</summary>
    public RgbImage Paste(RgbImage edited, RgbImage kept)
    {
        ArgumentNullException.ThrowIfNull(edited);
        ArgumentNullException.ThrowIfNull(kept);
        foreach (var (image, name) in new[] { (edited, nameof(edited)), (kept, nameof(kept)) })
            if (image.Width != Width || image.Height != Height)
                throw new ArgumentException($"the image is {image.Width}×{image.Height} but the paste region is {Width}×{Height}", name);
        var pixels = new byte[edited.Pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            float a = _weight[i / 3];
            pixels[i] = (byte)Math.Round(a * edited.Pixels[i] + (1 - a) * kept.Pixels[i]);
        }
        return new RgbImage(Width, Height, pixels);
    }
}
