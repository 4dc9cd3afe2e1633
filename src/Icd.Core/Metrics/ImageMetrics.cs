using Icd.Imaging;
using Icd.Torch;

namespace Icd.Metrics;

/// <summary>Pixel metrics between two 8-bit images of the same size.</summary>
public static class ImageMetrics
{
    /// <summary>Mean squared error on [0, 1] pixel values.</summary>
    public static double Mse(RgbImage a, RgbImage b)
    {
        CheckSizes(a, b);
        double sum = 0;
        for (int i = 0; i < a.Pixels.Length; i++)
        {
            double d = (a.Pixels[i] - b.Pixels[i]) / 255.0;
            sum += d * d;
        }
        return sum / a.Pixels.Length;
    }

    /// <summary>PSNR on uint8 values: 20·log10(255/√MSE₂₅₅) (METHOD E); +∞ for identical images.</summary>
    public static double Psnr(RgbImage a, RgbImage b)
    {
        double mse255 = Mse(a, b) * 255 * 255;
        return mse255 == 0 ? double.PositiveInfinity : 20 * Math.Log10(255 / Math.Sqrt(mse255));
    }

    /// <summary>PSNR over the pixels where <paramref name="include"/> is true (e.g. outside an edit mask).</summary>
    public static double Psnr(RgbImage a, RgbImage b, bool[] include)
    {
        CheckSizes(a, b);
        if (include.Length != a.Width * a.Height) throw new ArgumentException("mask size differs from the image", nameof(include));
        double sum = 0;
        long n = 0;
        for (int p = 0; p < include.Length; p++)
        {
            if (!include[p]) continue;
            for (int c = 0; c < 3; c++)
            {
                double d = a.Pixels[p * 3 + c] - b.Pixels[p * 3 + c];
                sum += d * d;
                n++;
            }
        }
        if (n == 0) return double.NaN;
        return sum == 0 ? double.PositiveInfinity : 20 * Math.Log10(255 / Math.Sqrt(sum / n));
    }

    public const int SsimWindow = 11;

    /// <summary>SSIM (Wang et al. 2004) with an 11×11 Gaussian window (σ = 1.5), K1 = 0.01,
    /// K2 = 0.03 on 0..255, per channel and averaged; borders within the window radius are
    /// excluded (as skimage's structural_similarity with gaussian_weights does).</summary>
    public static double Ssim(RgbImage a, RgbImage b)
    {
        CheckSizes(a, b);
        if (a.Width < SsimWindow || a.Height < SsimWindow)
            throw new ArgumentException($"SSIM's {SsimWindow}×{SsimWindow} window needs images of at least {SsimWindow}×{SsimWindow} pixels, not {a.Width}×{a.Height}");
        using var scope = new TensorScope();
        var x = ToChannels(a);
        var y = ToChannels(b);
        const int Size = 11;
        const double Sigma = 1.5;
        var g = Enumerable.Range(0, Size).Select(i => Math.Exp(-Math.Pow(i - Size / 2, 2) / (2 * Sigma * Sigma))).ToArray();
        double total = g.Sum();
        var kernel1d = Tensor.FromValues(g.Select(v => v / total).ToArray());
        var kernel = (kernel1d.Unsqueeze(1) * kernel1d.Unsqueeze(0)).View(1, 1, Size, Size).Expand(3, 1, Size, Size).Contiguous();
        Tensor Blur(Tensor t) => Functional.Conv2d(t, kernel, null, groups: 3);
        var mx = Blur(x);
        var my = Blur(y);
        // Sample covariances (skimage uses N/(N−1) normalisation).
        double norm = Size * Size / (Size * Size - 1.0);
        var vx = (Blur(x * x) - mx * mx) * norm;
        var vy = (Blur(y * y) - my * my) * norm;
        var cxy = (Blur(x * y) - mx * my) * norm;
        double c1 = Math.Pow(0.01 * 255, 2), c2 = Math.Pow(0.03 * 255, 2);
        var s = (mx * my * 2 + c1) * (cxy * 2 + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
        return s.Mean().Item();
    }

    private static Tensor ToChannels(RgbImage image) =>
        Tensor.FromArray(image.Pixels, image.Height, image.Width, 3).Permute(2, 0, 1).Unsqueeze(0).To(DType.Float64);

    private static void CheckSizes(RgbImage a, RgbImage b)
    {
        if (a.Width != b.Width || a.Height != b.Height)
            throw new ArgumentException($"images differ in size: {a.Width}×{a.Height} vs {b.Width}×{b.Height}");
    }
}
