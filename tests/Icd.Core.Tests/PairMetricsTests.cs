using Icd.Imaging;
using Icd.Metrics;

namespace Icd.Tests;

/// <summary><c>icd metrics</c>' suite: pixel metrics always, each network only when its files are
/// there; a missing network is reported with the file it needs, and the others still run.</summary>
public class PairMetricsTests
{
    [Fact]
    public void MissingNetworksAreReportedNotFatal()
    {
        using var dir = new TempDir();
        var weights = new MetricWeights
        {
            Folder = dir.File("metrics"), ClipLarge = dir.File("no-clip"), Dinov2 = dir.File("no-dinov2"),
            Dino = dir.File("no-dino"), ImageReward = dir.File("no-ir"), BertVocabulary = dir.File("no-bert"),
        };
        var a = RgbImage.Blank(16, 12, 200, 100, 50);
        var b = RgbImage.Blank(16, 12, 190, 100, 50);
        using var suite = new PairMetrics(weights);
        var values = suite.Compute(a, b, "a cat").ToDictionary(v => v.Name);

        // Hand-computed: one channel off by 10 of 255 everywhere → MSE₂₅₅ = 100/3.
        Assert.Equal(20 * Math.Log10(255 / Math.Sqrt(100.0 / 3)), values["psnr"].Value!.Value, 9);
        Assert.Equal(100.0 / 3 / (255.0 * 255), values["mse"].Value!.Value, 12);
        foreach (var name in new[] { "lpips_alex", "lpips_vgg", "lpips_squeeze", "lpips_icd", "clip_image", "dinov2", "structure_distance", "clip_text", "clip_score", "imagereward" })
        {
            Assert.Null(values[name].Value);
            Assert.False(string.IsNullOrEmpty(values[name].Unavailable), name);
        }
        Assert.Contains("alexnet-owt-7be5be79.pth", values["lpips_alex"].Unavailable);
        Assert.Contains("no-clip", values["clip_text"].Unavailable);
        Assert.Contains("no-bert", values["imagereward"].Unavailable);
    }

    [Fact]
    public void PromptMetricsNeedAPrompt()
    {
        using var dir = new TempDir();
        using var suite = new PairMetrics(new MetricWeights { Folder = dir.Path, ClipLarge = dir.File("x"), Dinov2 = dir.File("x"), Dino = dir.File("x") });
        var names = suite.Compute(RgbImage.Blank(8, 8), RgbImage.Blank(8, 8)).Select(v => v.Name).ToList();
        Assert.DoesNotContain("clip_text", names);
        Assert.DoesNotContain("imagereward", names);
        Assert.Contains("clip_image", names);
    }

    /// <summary>Found by running <c>icd metrics</c> on 8×8 images: SSIM's window made libtorch's
    /// convolution fail. Smaller images now get a clear reason (and the library a clear error).</summary>
    [Fact]
    public void ImagesSmallerThanTheSsimWindowAreExplained()
    {
        using var dir = new TempDir();
        using var suite = new PairMetrics(new MetricWeights { Folder = dir.Path, ClipLarge = dir.File("x"), Dinov2 = dir.File("x"), Dino = dir.File("x") });
        var ssim = suite.Compute(RgbImage.Blank(8, 8), RgbImage.Blank(8, 8)).Single(v => v.Name == "ssim");
        Assert.Null(ssim.Value);
        Assert.Contains("11×11", ssim.Unavailable);
        var e = Assert.Throws<ArgumentException>(() => ImageMetrics.Ssim(RgbImage.Blank(10, 30), RgbImage.Blank(10, 30)));
        Assert.Contains("10×30", e.Message);
    }
}
