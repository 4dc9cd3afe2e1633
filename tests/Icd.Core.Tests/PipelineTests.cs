using Icd.Checkpoints;
using Icd.Editing.PromptToPrompt;
using Icd.Imaging;
using Icd.Lora;
using Icd.Pipelines;
using Icd.Sampling;

namespace Icd.Tests;

/// <summary>The iCD pipelines end to end on the tiny reference model, with the LoRA fixtures as
/// forward and reverse students (so adapter switching is exercised).</summary>
public sealed class PipelineTests : IDisposable
{
    private readonly IcdModel _model;
    private readonly IcdPipeline _pipeline;

    public PipelineTests()
    {
        var networks = StableDiffusionLoader.Load(Paths.TinySd);
        UNetLora.AttachFile(networks.UNet, IcdModel.ForwardAdapter, Path.Combine(AppContext.BaseDirectory, "Data", "lora_peft.safetensors"));
        UNetLora.AttachFile(networks.UNet, IcdModel.ReverseAdapter, Path.Combine(AppContext.BaseDirectory, "Data", "lora_kohya.safetensors"));
        _model = IcdModel.FromNetworks(networks, new IcdManifest { Base = Paths.TinySd }, "tiny-sd");
        _pipeline = new IcdPipeline(_model);
    }

    public void Dispose() => _model.Dispose();

    internal static RgbImage TestImage(int size = 80)
    {
        var img = RgbImage.Blank(size, size);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                img[x, y] = ((byte)(x * 3), (byte)(y * 3), (byte)((x + y) % 256));
        return img;
    }

    [Fact]
    public void InversionKeepsTheWholeTrajectory()
    {
        using var trajectory = _pipeline.Invert(TestImage(), "a photo", new InversionOptions { Seed = 10500 });
        Assert.Equal(new long[] { 19, 259, 519, 779, 999 }, trajectory.Timesteps);
        Assert.Equal(new long[] { 1, 4, 32, 32 }, trajectory.Final.Shape);
        Assert.Equal(IcdModel.ForwardAdapter, _model.Forward.Adapter);
    }

    [Fact]
    public void EditingWithTheSourcePromptIsTheReconstruction()
    {
        var options = new EditOptions { Method = EditMethod.PromptSwitch, Guidance = GuidanceSchedule.None };
        var edit = _pipeline.Edit(TestImage(), "a red circle", "a red circle", options);
        var recon = _pipeline.Reconstruct(TestImage(), "a red circle", options.Inversion);
        // The edit encodes both prompts in one text-encoder batch, the reconstruction one prompt, and
        // batch-size-dependent kernels may round differently: with one intra-op thread
        // (OMP_NUM_THREADS=1) one channel of one pixel came out one level apart.
        Assert.True(MaxLevelDifference(recon.Reconstruction.Pixels, edit.Image.Pixels) <= 1);
        Assert.Equal(8, edit.Nfe);

        var p2p = _pipeline.Edit(TestImage(), "a red circle", "a red circle", options with { Method = EditMethod.PromptToPrompt, IncludeReconstruction = true });
        // Within the [source, target] batch the two rows come out bit-identical on two threads, but on
        // one thread they too came out one level apart in a pixel; against the batch-1 reconstruction
        // they may differ by float rounding of batch-size-dependent kernels.
        Assert.True(MaxLevelDifference(p2p.Reconstruction!.Pixels, p2p.Image.Pixels) <= 1);
        Assert.True(Icd.Metrics.ImageMetrics.Psnr(recon.Reconstruction, p2p.Image) > 50);
    }

    private static int MaxLevelDifference(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        int max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    [Fact]
    public void SameSeedSameBytesOtherSeedOtherBytes()
    {
        var options = new EditOptions { PromptToPrompt = new PromptToPromptOptions { Blend = ("red", "blue") } };
        var a = _pipeline.Edit(TestImage(), "a red circle", "a blue circle", options);
        var b = _pipeline.Edit(TestImage(), "a red circle", "a blue circle", options);
        Assert.Equal(a.Image.Pixels, b.Image.Pixels);
        var c = _pipeline.Edit(TestImage(), "a red circle", "a blue circle", options with { Inversion = new InversionOptions { Seed = 31 } });
        Assert.NotEqual(a.Image.Pixels, c.Image.Pixels);
        var g1 = _pipeline.Generate("a cat", new GenerateOptions { Seed = 5 });
        var g2 = _pipeline.Generate("a cat", new GenerateOptions { Seed = 5 });
        Assert.Equal(g1.Image.Pixels, g2.Image.Pixels);
        Assert.Equal(4, g1.Nfe);
    }

    [Fact]
    public void ARegionCoveringEverythingWithoutFreshNoiseChangesNothing()
    {
        // x_src + 1·(x_trg − x_src) is x_trg up to float rounding, so the edit is the unconfined one.
        var options = new EditOptions { PromptToPrompt = new PromptToPromptOptions { Blend = ("red", "blue") } };
        var plain = _pipeline.Edit(TestImage(), "a red circle", "a blue circle", options);
        var white = RgbImage.Blank(80, 80);
        var confined = _pipeline.Edit(TestImage(), "a red circle", "a blue circle", options with { Region = white, RegionRenoise = 0 });
        Assert.True(plain.Image.Pixels.Zip(confined.Image.Pixels).All(p => Math.Abs(p.First - p.Second) <= 1));
        // The prompt switch runs as a [source, target] batch with a region, and the source prompt still reconstructs.
        var switched = _pipeline.Edit(TestImage(), "a red circle", "a red circle",
            new EditOptions { Method = EditMethod.PromptSwitch, Guidance = GuidanceSchedule.None, Region = white, RegionRenoise = 0, IncludeReconstruction = true });
        // Two equal rows of one batch agree up to rounding: BLAS may block the rows differently
        // (one level apart with one OpenMP thread, bitwise equal with two).
        Assert.True(switched.Reconstruction!.Pixels.Zip(switched.Image.Pixels).All(p => Math.Abs(p.First - p.Second) <= 1));
        Assert.Equal(8, switched.Nfe);
        var partly = _pipeline.Edit(TestImage(), "a red circle", "a blue circle", options with { Region = white, RegionRenoise = 0.5 });
        Assert.NotEqual(plain.Image.Pixels, partly.Image.Pixels);
        var size = Assert.Throws<ArgumentException>(() => _pipeline.Edit(TestImage(), "a red circle", "a blue circle", options with { Region = RgbImage.Blank(64, 64) }));
        Assert.Contains("64×64 but the image is 80×80", size.Message);
    }

    [Fact]
    public void OutsideTheRegionOrTheBlendMaskTheOutputIsTheInput()
    {
        var options = new EditOptions { PromptToPrompt = new PromptToPromptOptions { Blend = ("red", "blue") } };
        // The left half of the 80-pixel image is the left half of the 64-pixel model image (x < 32);
        // on the 32-cell latent grid a cell is 2 pixels, so the paste weight is 0 from x = 35 on.
        var left = Icd.Editing.RegionBlend.MaskImage(80, 80, p => p % 80 < 40);
        var confined = _pipeline.Edit(TestImage(), "a red circle", "a blue circle", options with { Region = left });
        for (int y = 0; y < 64; y++)
            for (int x = 35; x < 64; x++)
                Assert.Equal(confined.Input[x, y], confined.Image[x, y]);
        Assert.NotEqual(confined.Input[0, 0], confined.Image[0, 0]);

        // LocalBlend's paste moves each pixel from the decoded edit towards the input, never past it.
        var decoded = _pipeline.Edit(TestImage(), "a red circle", "a blue circle", options with { PromptToPrompt = options.PromptToPrompt with { PasteInputOutsideBlend = false } });
        var pasted = _pipeline.Edit(TestImage(), "a red circle", "a blue circle", options);
        for (int i = 0; i < pasted.Image.Pixels.Length; i++)
        {
            int e = decoded.Image.Pixels[i], k = pasted.Input.Pixels[i], o = pasted.Image.Pixels[i];
            Assert.InRange(o, Math.Min(e, k) - 1, Math.Max(e, k) + 1);
        }
    }

    [Fact]
    public void ReconstructionReportsMetrics()
    {
        var r = _pipeline.Reconstruct(TestImage(), "a photo", new InversionOptions());
        Assert.Equal(64, r.Input.Width);
        Assert.InRange(r.Psnr, 0, 100);
        Assert.InRange(r.Ssim, -1, 1);
        Assert.Equal(r.Mse, Icd.Metrics.ImageMetrics.Mse(r.Input, r.Reconstruction));
    }

    [Fact]
    public void BadInputsGetClearErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => _pipeline.Edit(TestImage(), "a cat", "  ", new EditOptions()));
        Assert.Contains("target prompt is empty", e.Message);
        var blend = Assert.Throws<ArgumentException>(() => _pipeline.Edit(TestImage(), "a cat", "a dog",
            new EditOptions { PromptToPrompt = new PromptToPromptOptions { Blend = ("bird", "dog") } }));
        Assert.Contains("blend word 'bird'", blend.Message);
        var size = Assert.Throws<ArgumentOutOfRangeException>(() => _pipeline.Invert(TestImage(), "a cat", new InversionOptions { Size = 63 }));
        Assert.Contains("multiple of", size.Message);
    }
}
