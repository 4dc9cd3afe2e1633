using System.Text.Json;
using Icd.Metrics;
using Icd.Metrics.Fid;
using Icd.Torch;

namespace Icd.Tests;

/// <summary>LPIPS with AlexNet and SqueezeNet 1.1 backbones against the upstream lpips package
/// (<c>tests/tools/make_lpips_reference.py</c>: its <c>LPIPS(net, version='0.1')</c> on torchvision
/// 0.14's backbones with seeded random weights, committed as float16 torch.save files under
/// torchvision's names, and the package's own v0.1 heads). Measured here: 1.9e-9 absolute for both
/// on distances near 0.02 (float32 output); bound 1e-6.</summary>
public class LpipsReferenceTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "lpips", name);

    private static Tensor Images(string name)
    {
        using var stream = File.OpenRead(Data(name));
        var array = NpyArray.Read(stream, name);
        return Tensor.FromValues(array.Data.Select(v => (float)v).ToArray(), array.Shape);
    }

    [Theory]
    [InlineData("alex")]
    [InlineData("squeeze")]
    public void DistancesMatchTheLpipsPackage(string net)
    {
        var expected = JsonDocument.Parse(File.ReadAllText(Data("expected.json"))).RootElement.GetProperty(net).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        using var lpips = net == "alex"
            ? Lpips.Alex(Data("alex_features.pth"), Data("alex_lin.pth"))
            : Lpips.Squeeze(Data("squeeze_features.pth"), Data("squeeze_lin.pth"));
        using var scope = new TensorScope();
        using var inference = Autograd.InferenceMode();
        var actual = lpips.Distance(Images("a.npy"), Images("b.npy")).ToArray<float>();
        Assert.Equal(expected.Length, actual.Length);
        output.WriteLine($"{net}: max |icd − lpips| = {actual.Select((v, i) => Math.Abs(v - expected[i])).Max():E2}");
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) < 1e-6, $"{net}[{i}]: icd {actual[i]}, lpips {expected[i]}");
    }

    /// <summary>lpips' heads are legacy (torch &lt; 1.6) torch.save files: read as they are, and a
    /// truncated copy is refused with the file named, not read past its end.</summary>
    [Fact]
    public void LegacyTorchSaveFilesAreRead()
    {
        using (var heads = WeightSource.Open(Data("alex_lin.pth")))
        {
            Assert.Equal(["lin0.model.1.weight", "lin1.model.1.weight", "lin2.model.1.weight", "lin3.model.1.weight", "lin4.model.1.weight"], heads.Source.Names.Order());
            Assert.Equal([1L, 192, 1, 1], heads.Source.ShapeOf("lin1.model.1.weight"));
        }
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Data("alex_lin.pth"));
        File.WriteAllBytes(dir.File("cut.pth"), bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<Icd.Torch.Serialization.CheckpointFormatException>(() => WeightSource.Open(dir.File("cut.pth")).Dispose());
        Assert.Contains("cut.pth", e.Message);
        Assert.Contains("past the end", e.Message);
    }

    [Fact]
    public void MissingOrMismatchedWeightsAreNamed()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => Lpips.Alex(Data("none.pth"), Data("alex_lin.pth")));
        Assert.Contains("none.pth", missing.Message);
        var wrongHead = Assert.Throws<InvalidDataException>(() => Lpips.Alex(Data("alex_features.pth"), Data("squeeze_lin.pth")));
        Assert.Contains("squeeze_lin.pth", wrongHead.Message);
    }
}
