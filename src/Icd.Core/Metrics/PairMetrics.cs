using Icd.Imaging;
using Icd.Metrics.Clip;
using Icd.Metrics.Dino;
using Icd.Metrics.ImageReward;
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
    private readonly MetricWeights _weights;
    private readonly Dictionary<string, IDisposable> _loaded = new();
    private readonly Dictionary<string, string> _failed = new();

    public PairMetrics(MetricWeights? weights = null) => _weights = weights ?? MetricWeights.Default();

    public IReadOnlyList<MetricValue> Compute(RgbImage a, RgbImage b, string? prompt = null)
    {
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
                values.Add(Try($"lpips_{net}", $"LPIPS v0.1 ({net}) at the images' size, lpips package", () =>
                {
                    var metric = Get($"lpips-{net}", () => net switch
                    {
                        "alex" => Lpips.Alex(_weights.Backbone(net), _weights.LpipsHead(net)),
                        "vgg" => Lpips.Vgg(_weights.Backbone(net), _weights.LpipsHead(net)),
                        _ => Lpips.Squeeze(_weights.Backbone(net), _weights.LpipsHead(net)),
                    });
                    using var scope = new TensorScope();
                    using var inference = Autograd.InferenceMode();
                    return metric.Distance(ToSigned(a), ToSigned(b)).Item();
                }));
        }
        values.Add(Try("lpips_icd", "iCD's LPIPS: piq's LPIPS-VGG on Pillow-resized 224² images", () =>
        {
            var metric = Get("lpips-vgg", () => Lpips.Vgg(_weights.Backbone("vgg"), _weights.LpipsHead("vgg")));
            using var scope = new TensorScope();
            using var inference = Autograd.InferenceMode();
            return metric.Distance(Lpips.IcdInput(a), Lpips.IcdInput(b)).Item();
        }));
        values.Add(Try("clip_image", "iCD: cosine of CLIP ViT-L/14 image embeddings of a and b", () =>
        {
            using var scope = new TensorScope();
            var clip = Get("clip", () => ClipScorer.Load(_weights.ClipLarge));
            var e = clip.EmbedImages([a, b]);
            return ClipScorer.Cosine(e.Narrow(0, 0, 1), e.Narrow(0, 1, 1))[0];
        }));
        values.Add(Try("dinov2", "iCD: cosine of DINOv2-base pooler outputs of a and b", () =>
        {
            var dino = Get("dinov2", () => Dinov2Similarity.Load(_weights.Dinov2));
            return dino.Cosine(a, b);
        }));
        values.Add(Try("structure_distance", "PIE-Bench: DINO ViT-B/8 key self-similarity MSE (papers report ×10³)", () =>
            Get("dino", () => new StructureDistance(VitModel.Load(_weights.Dino))).Distance(a, b)));
        if (prompt is not null)
        {
            MetricValue? cosine = null;
            values.Add(cosine = Try("clip_text", "iCD: cosine of CLIP ViT-L/14 embeddings of b and the prompt", () =>
            {
                using var scope = new TensorScope();
                var clip = Get("clip", () => ClipScorer.Load(_weights.ClipLarge));
                return ClipScorer.Cosine(clip.EmbedImages([b]), clip.EmbedTexts([prompt]))[0];
            }));
            values.Add(cosine.Value is { } c
                ? new MetricValue("clip_score", ClipScorer.TorchmetricsScore(c), "PIE-Bench: torchmetrics' CLIPScore, 100·max(cos, 0)")
                : cosine with { Name = "clip_score", Definition = "PIE-Bench: torchmetrics' CLIPScore, 100·max(cos, 0)" });
            values.Add(Try("imagereward", "ImageReward-v1.0 of b and the prompt", () =>
                Get("imagereward", () => ImageRewardScorer.Load(_weights.ImageReward, _weights.BertVocabularyFile)).Score([b], [prompt])[0]));
        }
        return values;
    }

    private MetricValue Try(string name, string definition, Func<double> compute)
    {
        if (_failed.TryGetValue(name, out var reason)) return new MetricValue(name, null, definition, reason);
        try
        {
            return new MetricValue(name, compute(), definition);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or InvalidDataException)
        {
            _failed[name] = e.Message;
            return new MetricValue(name, null, definition, e.Message);
        }
    }

    private T Get<T>(string key, Func<T> load) where T : IDisposable
    {
        if (!_loaded.TryGetValue(key, out var value)) _loaded[key] = value = load();
        return (T)value;
    }

    private static Tensor ToSigned(RgbImage image) =>
        (Tensor.FromArray(image.Pixels, image.Height, image.Width, 3).Permute(2, 0, 1).Unsqueeze(0).To(DType.Float32) / 127.5 - 1.0);

    public void Dispose()
    {
        foreach (var value in _loaded.Values) value.Dispose();
        _loaded.Clear();
    }
}
