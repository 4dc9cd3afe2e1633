using Icd.Checkpoints;
using Icd.Lora;
using Icd.Metrics;
using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;
using Icd.Training;

namespace Icd.Tests;

/// <summary>LPIPS, the nine-patch unfold and Inverse-and-Edit's cycle fine-tuning.</summary>
public class LpipsCycleTests
{
    [Fact]
    public void NinePatchPositionsMatchTheReference()
    {
        Assert.Equal((224, 110), NinePatches.For(512));
        Assert.Equal(new[] { 0, 110, 220 }, NinePatches.Offsets(512)); // the last 68 pixels are not covered
        Assert.Equal((28, 14), NinePatches.For(64));
        Assert.Equal(new[] { 0, 14, 28 }, NinePatches.Offsets(64));
        using var scope = new TensorScope();
        var image = Tensor.Arange(0, 2 * 3 * 64 * 64, 1, DType.Float32).View(2, 3, 64, 64);
        var patches = NinePatches.Extract(image);
        Assert.Equal(new long[] { 18, 3, 28, 28 }, patches.Shape);
        // Patch 5 of image 1 is row 1, column 2: offsets (14, 28).
        Assert.Equal(image.Select(0, 1).Narrow(1, 14, 28).Narrow(2, 28, 28).ToArray<float>(), patches.Select(0, 9 + 5).ToArray<float>());
    }

    [Fact]
    public void LpipsIsZeroOnIdenticalImagesAndSymmetric()
    {
        using var encoder = new ImageEncoder([8, 16], 8);
        using var lpips = Lpips.OverEncoder(encoder);
        using var scope = new TensorScope();
        using var gen = new Generator(1);
        var a = Tensor.Rand([2, 3, 32, 32], gen) * 2.0 - 1.0;
        var b = Tensor.Rand([2, 3, 32, 32], gen) * 2.0 - 1.0;
        Assert.All(lpips.Distance(a, a).ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.Equal(lpips.Distance(a, b).ToArray<float>(), lpips.Distance(b, a).ToArray<float>());
        Assert.All(lpips.Distance(a, b).ToArray<float>(), v => Assert.True(v > 0));
    }

    [Fact]
    public void VggLpipsLoadsConvertedWeightsAndRefusesMissingOnes()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => Lpips.Vgg(dir.File("vgg16.safetensors"), dir.File("lin.safetensors")));
        Assert.Contains("LPIPS needs its weights", e.Message);
        using (var vgg = new Vgg16Features())
        {
            SafetensorsWriter.Write(dir.File("vgg16.safetensors"), vgg.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter));
            Assert.Contains(vgg.NamedParameters(), p => p.Name == "features.28.weight");
        }
        using (var scope = new TensorScope())
        {
            long[] channels = [64, 128, 256, 512, 512];
            SafetensorsWriter.Write(dir.File("lin.safetensors"), channels.Select((c, k) => ($"lin{k}.model.1.weight", Tensor.Full([1, c, 1, 1], 0.01)))
                .ToDictionary(p => p.Item1, p => p.Item2));
        }
        using var lpips = Lpips.Vgg(dir.File("vgg16.safetensors"), dir.File("lin.safetensors"));
        using var s2 = new TensorScope();
        using var gen = new Generator(2);
        var a = Tensor.Rand([1, 3, 32, 32], gen);
        Assert.Equal(0f, lpips.Distance(a, a).Item<float>());
    }

    /// <summary>On SD1.5-class and (issue 39) SDXL-class teachers.</summary>
    [Theory]
    [InlineData("tiny-sd")]
    [InlineData("tiny-sdxl")]
    public void CycleFineTuningTrainsOnlyTheForwardAdapter(string model)
    {
        var (net, encoder, lpips) = CycleSetup(model);
        using var _ = net;
        using var __ = encoder;
        using var ___ = lpips;
        using (Autograd.NoGrad())
            foreach (var p in UNetLora.Parameters(net.UNet, IcdDistillationStage.Reverse)) p.Normal_(0, 0.01, null);
        var reverseBefore = UNetLora.Parameters(net.UNet, IcdDistillationStage.Reverse).Select(p => p.ToArray<float>()).ToList();
        var vaeBefore = net.Vae.Parameters().Select(p => p.ToArray<float>()).ToList();
        var forwardBefore = UNetLora.Parameters(net.UNet, IcdDistillationStage.Forward).Select(p => p.ToArray<float>()).ToList();
        var data = new BatchBuilder(new SquaresSource(), net.Vae, net.TextEncoder, net.Tokenizer, 64, 1) { XLPrompts = net.XLPrompts };
        var options = (IcdDistillationOptions.CycleFineTuning(4, 0.5) with { Rank = 4 }).ForFamily(net.IsXL);
        using var stage = new IcdDistillationStage(net.UNet, data, net.Schedule, new RunOptions { Steps = 1, BatchSize = 1, LearningRate = 1e-3 }, options,
            createAdapters: false, cycle: new CycleContext(net.Vae, lpips));
        var losses = stage.Step(0);
        Assert.Equal(new[] { "cycle", "forward_cd", "preserve_forward" }, losses.Keys.Order());
        Assert.True(losses["cycle"] > 0 && double.IsFinite(losses["cycle"]));
        Assert.Equal(reverseBefore, UNetLora.Parameters(net.UNet, IcdDistillationStage.Reverse).Select(p => p.ToArray<float>()));
        Assert.Equal(vaeBefore, net.Vae.Parameters().Select(p => p.ToArray<float>()));
        Assert.NotEqual(forwardBefore, UNetLora.Parameters(net.UNet, IcdDistillationStage.Forward).Select(p => p.ToArray<float>()));
        // The cycle's validation also scores the round trip in pixels, which the Shapes build selects by.
        var validated = stage.Validate();
        Assert.Equal(new[] { "val_clean_mse", "val_latent_mse", "val_psnr" }, validated.Keys.Order());
        Assert.True(validated["val_psnr"] is > 0 and < 100, $"val_psnr {validated["val_psnr"]}");
    }

    [Fact]
    public void CycleLossCanStartFromANoisedLatent()
    {
        var (net, encoder, lpips) = CycleSetup();
        using var _ = net;
        using var __ = encoder;
        using var ___ = lpips;
        double FirstCycleLoss(long start)
        {
            var data = new BatchBuilder(new SquaresSource(), net.Vae, net.TextEncoder, net.Tokenizer, 64, 1);
            var options = IcdDistillationOptions.CycleFineTuning(4, 0.5) with { CycleStart = start, ForwardConsistency = false, ForwardPreservation = 0 };
            Assert.Equal(start, options.ValidationStart);
            using var stage = new IcdDistillationStage(net.UNet, data, net.Schedule, new RunOptions { Steps = 1, BatchSize = 1, LearningRate = 1e-12 }, options,
                createAdapters: false, cycle: new CycleContext(net.Vae, lpips));
            return stage.Step(0)["cycle"];
        }
        // The same weights, data and seed: only the start of the round trip differs.
        double clean = FirstCycleLoss(0), noised = FirstCycleLoss(19);
        Assert.True(double.IsFinite(noised) && noised > 0);
        Assert.NotEqual(clean, noised);
    }

    /// <summary>The tiny reference model with forward and reverse adapters, its VAE frozen, and an LPIPS
    /// over a small untrained image encoder: what a cycle stage needs.</summary>
    private static (StableDiffusionModels Net, ImageEncoder Encoder, Lpips Lpips) CycleSetup(string model = "tiny-sd")
    {
        var net = StableDiffusionLoader.Load(Path.Combine(Paths.SharedReference, model, "model"));
        UNetLora.CreateTrainable(net.UNet, IcdDistillationStage.Forward, LoraTargets.Icd, 4, 0.5);
        UNetLora.CreateTrainable(net.UNet, IcdDistillationStage.Reverse, LoraTargets.Icd, 4, 0.5);
        net.Vae.SetRequiresGrad(false);
        var encoder = new ImageEncoder([8, 16], 8);
        encoder.SetRequiresGrad(false);
        return (net, encoder, Lpips.OverEncoder(encoder));
    }

    private sealed class SquaresSource : IImageCaptionSource
    {
        public long Count => 4;

        public (Icd.Imaging.RgbImage Image, string Caption) Get(long index)
        {
            var img = Icd.Imaging.RgbImage.Blank(64, 64, 30, 30, (byte)(60 * index));
            return (img, "a blue square");
        }
    }
}
