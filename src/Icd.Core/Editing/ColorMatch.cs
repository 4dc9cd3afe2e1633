using Icd.Imaging;

namespace Icd.Editing;

/// <summary>
/// Inverse-and-Edit's <c>match_stats_255</c>: out = clip((img − mean(img))·std_src/std(img) + mean_src, 0, 255)
/// with one global mean and standard deviation over all pixels and channels; skipped when the
/// edited image's std is below 1e-7. Counters the over-saturation of guidance-distilled models.
/// </summary>
public static class ColorMatch
{
    public static RgbImage MatchStatistics(RgbImage edited, RgbImage source)
    {
        var (meanSource, stdSource) = Stats(source.Pixels);
        var (mean, std) = Stats(edited.Pixels);
        if (std < 1e-7) return edited;
        var output = new byte[edited.Pixels.Length];
        for (int i = 0; i < output.Length; i++)
        {
            double v = (edited.Pixels[i] - mean) * stdSource / std + meanSource;
            output[i] = (byte)Math.Clamp(v, 0, 255); // numpy's astype(uint8) after clip truncates
        }
        return new RgbImage(edited.Width, edited.Height, output);
    }

    private static (double Mean, double Std) Stats(byte[] pixels)
    {
        double mean = pixels.Average(p => (double)p);
        double variance = pixels.Average(p => (p - mean) * (p - mean)); // numpy std: population
        return (mean, Math.Sqrt(variance));
    }
}
