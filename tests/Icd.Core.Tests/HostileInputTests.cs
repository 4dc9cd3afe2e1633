using Icd.Checkpoints;
using Icd.Lora;
using Icd.Pipelines;
using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Tests;

/// <summary>Issue 37, items 6 and 7: numbers every front end refuses, and non-finite weights or
/// latents that used to end in an all-black image written with exit code 0.</summary>
public class HostileInputTests
{
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(-1)]
    [InlineData(1e9)]
    public void GuidanceOutsideItsRangeIsRefused(double w)
    {
        var e = Assert.Throws<ArgumentException>(() => SettingRange.Guidance.Check(w, "--guidance"));
        Assert.StartsWith("--guidance ", e.Message);
        Assert.Contains("must be a finite number in [0, 50]", e.Message);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-1)]
    [InlineData(2)]
    public void TauOutsideItsRangeIsRefused(double tau) =>
        Assert.Throws<ArgumentException>(() => SettingRange.Fraction.Check(tau, "--tau"));

    [Fact]
    public void InRangeValuesPass()
    {
        Assert.Equal(19, SettingRange.Guidance.Check(19, "--guidance"));
        Assert.Null(SettingRange.Fraction.Check((double?)null, "--tau"));
        Assert.Equal(100, SettingRange.AmplifyFactor.Check(100, "--amplify"));
        Assert.Throws<ArgumentException>(() => SettingRange.AmplifyFactor.Check(1e308, "--amplify"));
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("259.7")]
    [InlineData("1e30")]
    [InlineData("-5")]
    [InlineData("1000")]
    [InlineData("99999999999999999999")]
    [InlineData(",")]
    public void TimestepListsAreWholeNumbersInRange(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => SettingRange.ParseTimesteps(text, "--steps"));
        Assert.StartsWith("--steps", e.Message);
    }

    [Fact]
    public void TimestepListParses() => Assert.Equal([259L, 519, 779, 999], SettingRange.ParseTimesteps(" 259, 519,779 ,999", "--steps"));

    [Fact]
    public void NonFiniteWeightsAreRefusedByNameOnLoad()
    {
        using var dir = new TempDir();
        using var layer = new Linear(3, 2);
        string path = dir.File("bad.safetensors");
        using (var w = Tensor.Ones([2, 3]))
        using (var b = Tensor.Zeros([2]))
        {
            w.Select(0, 1).Select(0, 2).Fill_(double.NaN);
            SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["weight"] = w, ["bias"] = b });
        }
        using var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<WeightLoadException>(() => layer.LoadStateDict(new SafetensorsSource(file)));
        Assert.Contains("'weight' holds NaN or infinite values", e.Message);
        Assert.Contains("bad.safetensors", e.Message);
    }

    [Fact]
    public void NonFiniteLoraIsRefusedByName()
    {
        using var dir = new TempDir();
        using var networks = StableDiffusionLoader.Load(Paths.TinySd);
        string fixture = Path.Combine(AppContext.BaseDirectory, "Data", "lora_peft.safetensors");
        string path = dir.File("nan_lora.safetensors");
        Dictionary<string, Tensor> tensors;
        using (var file = SafetensorsFile.Open(fixture)) tensors = file.LoadAll();
        string key = tensors.Keys.Order(StringComparer.Ordinal).First();
        tensors[key].Fill_(double.PositiveInfinity);
        SafetensorsWriter.Write(path, tensors);
        foreach (var t in tensors.Values) t.Dispose();
        var e = Assert.Throws<InvalidDataException>(() => UNetLora.AttachFile(networks.UNet, "bad", path));
        Assert.Contains($"'{key}' holds NaN or infinite values", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ALatentThatOverflowsStopsTheLoopAndNamesTheStep()
    {
        var networks = StableDiffusionLoader.Load(Paths.TinySd);
        using var model = IcdModel.FromNetworks(networks, new IcdManifest { Base = Paths.TinySd }, "tiny-sd");
        // What a LoRA of 65504s did: the UNet's output overflows, and the first jump is NaN.
        var convOut = networks.UNet.NamedParameters().First(p => p.Name == "conv_out.bias").Parameter;
        using (Autograd.NoGrad()) convOut.Fill_(double.PositiveInfinity);
        var pipeline = new IcdPipeline(model);
        var e = Assert.Throws<InvalidOperationException>(() => pipeline.Generate("a cat", new GenerateOptions { Seed = 1 }));
        Assert.Contains("became NaN or infinite in denoising step 1", e.Message);
        Assert.Contains("no image was written", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => pipeline.Reconstruct(PipelineTests.TestImage(), "a photo", new InversionOptions()));
        Assert.Contains("in inversion step 1", e.Message);
    }
}
