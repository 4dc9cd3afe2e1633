using Icd.Imaging;
using Icd.Metrics.Clip;
using Icd.Pipelines;
using Icd.Torch;

namespace Icd.Metrics;

/// <summary>One metric's value, or why it could not be computed (weights not pulled, ...).</summary>
public sealed record MetricValue(string Name, double? Value, string Definition, string? Unavailable = null);

/// <summary>
/// Every metric of the two papers and PIE-Bench that applies to a pair of images (source <c>a</c>,
/// result <c>b</c>) and, given one, the prompt <c>b</c> should show. Networks load on first use and
/// stay loaded for further pairs; a network whose files are missing is reported as unavailable
/// (with the file it needs) instead of failing the others.
/// </summary>
public sealed class PairMetrics : IDisposable
{
    private readonly MetricNetworks _networks;

    public PairMetrics(MetricWeights? weights = null) => _networks = new MetricNetworks(weights ?? MetricWeights.Default());

    public IReadOnlyList<MetricValue> Compute(RgbImage a, RgbImage b, string? prompt = null)
    {
        var n = _networks;
        var values = new List<MetricValue>();
        bool sameSize = a.Width == b.Width && a.Height == b.Height;
        if (sameSize)
        {
            values.Add(new("psnr", ImageMetrics.Psnr(a, b), "PSNR on uint8 values, dB"));
            values.Add(Math.Min(a.Width, a.Height) >= ImageMetrics.SsimWindow
                ? new("ssim", ImageMetrics.Ssim(a, b), "SSIM, 11×11 Gaussian window")
                : new("ssim", null, "SSIM, 11×11 Gaussian window", $"the images are smaller than SSIM's {ImageMetrics.SsimWindow}×{ImageMetrics.SsimWindow} window"));
            values.Add(new("mse", ImageMetrics.Mse(a, b), "mean squared error on [0, 1]"));
            foreach (var net in new[] { "alex", "vgg", "squeeze" })
                values.Add(n.Try($"lpips_{net}", $"LPIPS v0.1 ({net}) at the images' size, lpips package", () => LpipsDistance(n.Lpips(net), a, b)));
        }
        values.Add(n.Try("lpips_icd", "iCD's LPIPS: piq's LPIPS-VGG on Pillow-resized 224² images", () => IcdLpipsDistance(n.Lpips("vgg"), a, b)));
        values.Add(n.Try("clip_image", "iCD: cosine of CLIP ViT-L/14 image embeddings of a and b", () => ClipImageCosine(n.Clip, a, b)));
        values.Add(n.Try("dinov2", "iCD: cosine of DINOv2-base pooler outputs of a and b", () => n.Dinov2.Cosine(a, b)));
        values.Add(n.Try("structure_distance", "PIE-Bench: DINO ViT-B/8 key self-similarity MSE (papers report ×10³)", () => n.Structure.Distance(a, b)));
        if (prompt is not null)
        {
            var cosine = n.Try("clip_text", "iCD: cosine of CLIP ViT-L/14 embeddings of b and the prompt", () => ClipTextCosine(n.Clip, b, prompt));
            values.Add(cosine);
            const string ScoreDefinition = "PIE-Bench: torchmetrics' CLIPScore, 100·max(cos, 0)";
            values.Add(cosine.Value is { } c ? new MetricValue("clip_score", ClipScorer.TorchmetricsScore(c), ScoreDefinition) : cosine with { Name = "clip_score", Definition = ScoreDefinition });
            values.Add(n.Try("imagereward", "ImageReward-v1.0 of b and the prompt", () => n.ImageReward.Score([b], [prompt])[0]));
        }
        return values;
    }

    /// <summary>LPIPS of two same-size images given as 8-bit pixels (mapped to [−1, 1]).</summary>
    public static double LpipsDistance(Lpips metric, RgbImage a, RgbImage b)
    {
        using var scope = new TensorScope();
        using var inference = Autograd.InferenceMode();
        return metric.Distance(ToSigned(a), ToSigned(b)).Item();
    }

    /// <summary>iCD's LPIPS (piq's): both images resized to 224² by Pillow, then LPIPS-VGG.</summary>
    public static double IcdLpipsDistance(Lpips vgg, RgbImage a, RgbImage b)
    {
        using var scope = new TensorScope();
        using var inference = Autograd.InferenceMode();
        return vgg.Distance(Lpips.IcdInput(a), Lpips.IcdInput(b)).Item();
    }

    /// <summary>iCD's preservation CLIP score: the cosine of the two images' CLIP embeddings.</summary>
    public static double ClipImageCosine(ClipScorer clip, RgbImage a, RgbImage b)
    {
        using var scope = new TensorScope();
        var e = clip.EmbedImages([a, b]);
        return ClipScorer.Cosine(e.Narrow(0, 0, 1), e.Narrow(0, 1, 1))[0];
    }

    public static double ClipTextCosine(ClipScorer clip, RgbImage image, string prompt)
    {
        using var scope = new TensorScope();
        return ClipScorer.Cosine(clip.EmbedImages([image]), clip.EmbedTexts([prompt]))[0];
    }

    private static Tensor ToSigned(RgbImage image) => ImageTensors.ToTensor(image, image.Height, image.Width, ResizeMode.Stretch);

    public void Dispose() => _networks.Dispose();
}
