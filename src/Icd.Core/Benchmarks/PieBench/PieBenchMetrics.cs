using Icd.Imaging;
using Icd.Metrics;
using Icd.Metrics.Clip;

namespace Icd.Benchmarks.PieBench;

/// <summary>
/// The editing metrics of the three protocols for one (source, edit) pair:
/// PIE-Bench's (evaluate.py: structure distance; PSNR, LPIPS-Squeeze, MSE and SSIM of both images
/// with the edit mask's inside blacked out; CLIPScore of the edit, whole and with the outside
/// blacked out), iCD's (CLIP-T: image–text cosine, CLIP-I: image–image cosine, DINOv2 cosine) and
/// Inverse-and-Edit's (LPIPS-Alex, ImageReward). PIE's masked metrics are computed over the whole
/// image after masking, as its code does; they are NaN when the mask leaves nothing.
/// </summary>
public static class PieBenchMetrics
{
    /// <summary>Metric names in report order, with the better direction (+1 higher, −1 lower).</summary>
    public static readonly (string Name, int Better, string Protocol)[] Columns =
    [
        ("structure_distance", -1, "PIE"), ("psnr_unedit", +1, "PIE"), ("lpips_unedit", -1, "PIE"), ("mse_unedit", -1, "PIE"),
        ("ssim_unedit", +1, "PIE"), ("clip_whole", +1, "PIE"), ("clip_edited", +1, "PIE"),
        ("clip_t", +1, "iCD"), ("clip_i", +1, "iCD"), ("dinov2", +1, "iCD"),
        ("lpips_alex", -1, "IaE"), ("imagereward", +1, "IaE"),
    ];

    public static Dictionary<string, double?> Compute(MetricNetworks n, RgbImage source, RgbImage edited, string targetPrompt, bool[]? mask)
    {
        var values = new List<MetricValue>
        {
            n.Try("structure_distance", "", () => n.Structure.Distance(source, edited)),
        };
        if (mask is not null)
        {
            var outside = mask.Select(m => !m).ToArray();
            bool anyOutside = outside.Any(o => o), anyInside = mask.Any(m => m);
            RgbImage? a = anyOutside ? Masked(source, outside) : null, b = anyOutside ? Masked(edited, outside) : null;
            values.Add(new("psnr_unedit", a is null ? double.NaN : ImageMetrics.Psnr(a, b!), ""));
            values.Add(new("mse_unedit", a is null ? double.NaN : ImageMetrics.Mse(a, b!), ""));
            values.Add(new("ssim_unedit", a is null ? double.NaN : ImageMetrics.Ssim(a, b!), ""));
            values.Add(n.Try("lpips_unedit", "", () => a is null ? double.NaN : PairMetrics.LpipsDistance(n.Lpips("squeeze"), a, b!)));
            values.Add(n.Try("clip_edited", "", () => anyInside ? ClipScorer.TorchmetricsScore(PairMetrics.ClipTextCosine(n.Clip, Masked(edited, mask), targetPrompt)) : double.NaN));
        }
        var clipT = n.Try("clip_t", "", () => PairMetrics.ClipTextCosine(n.Clip, edited, targetPrompt));
        values.Add(clipT);
        values.Add(new("clip_whole", clipT.Value is { } c ? ClipScorer.TorchmetricsScore(c) : null, "", clipT.Unavailable));
        values.Add(n.Try("clip_i", "", () => PairMetrics.ClipImageCosine(n.Clip, source, edited)));
        values.Add(n.Try("dinov2", "", () => n.Dinov2.Cosine(source, edited)));
        values.Add(n.Try("lpips_alex", "", () => PairMetrics.LpipsDistance(n.Lpips("alex"), source, edited)));
        values.Add(n.Try("imagereward", "", () => n.ImageReward.Score([edited], [targetPrompt])[0]));
        return values.ToDictionary(v => v.Name, v => v.Value);
    }

    /// <summary>PIE's <c>img * mask</c>: pixels where <paramref name="keep"/> is false become black.</summary>
    public static RgbImage Masked(RgbImage image, bool[] keep)
    {
        if (keep.Length != image.Width * image.Height) throw new ArgumentException($"mask of {keep.Length} pixels for a {image.Width}×{image.Height} image", nameof(keep));
        var pixels = (byte[])image.Pixels.Clone();
        for (int p = 0; p < keep.Length; p++)
            if (!keep[p]) pixels[3 * p] = pixels[3 * p + 1] = pixels[3 * p + 2] = 0;
        return new RgbImage(image.Width, image.Height, pixels);
    }
}
