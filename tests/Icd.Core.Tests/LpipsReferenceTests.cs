using System.Text.Json;
using Icd.Metrics;
using Icd.Metrics.Fid;
using Icd.Torch;

namespace Icd.Tests;

/// <summary>LPIPS with AlexNet, SqueezeNet 1.1 and VGG16 backbones against the upstream lpips package,
/// and iCD's variant against piq (<c>tests/tools/make_lpips_reference.py</c>: lpips'
/// <c>LPIPS(net, version='0.1')</c> on torchvision 0.14's backbones with seeded random weights — AlexNet
/// and SqueezeNet committed as float16 torch.save files under torchvision's names, VGG16 regenerated
/// from its recipe — and seeded heads in lpips' legacy torch.save layout; piq's
/// <c>LPIPS(reduction='none')</c> on Pillow-resized 224² images as iCD's calculate_lpips calls it).
/// Bound 1e-6 on distances near 0.01–0.04.</summary>
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

    /// <summary>The VGG16 features of the reference script's recipe: seed 20261208, He-scaled
    /// weights, biases 0.05·r, written to safetensors so they load the way released files do.</summary>
    private static Lpips RecipeVgg(TempDir dir)
    {
        using (var net = new Vgg16Features())
        {
            Icd.Reference.SeededWeights.Fill(net, 20261208, (name, shape, r) => name.EndsWith(".weight", StringComparison.Ordinal) ? Icd.Reference.SeededWeights.HeScaled(r, shape) : r * 0.05);
            Icd.Torch.Serialization.SafetensorsWriter.Write(dir.File("vgg.safetensors"), net.NamedParameters().Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Parameter)));
        }
        return Lpips.Vgg(dir.File("vgg.safetensors"), Data("vgg_lin.pth"));
    }

    private static double Expected(string key, int index = 0) =>
        JsonDocument.Parse(File.ReadAllText(Data("expected.json"))).RootElement.GetProperty(key)[index].GetDouble();

    [Fact]
    public void VggDistancesMatchTheLpipsPackage()
    {
        using var dir = new TempDir();
        using var lpips = RecipeVgg(dir);
        using var scope = new TensorScope();
        using var inference = Autograd.InferenceMode();
        var actual = lpips.Distance(Images("a.npy"), Images("b.npy")).ToArray<float>();
        for (int i = 0; i < actual.Length; i++)
        {
            output.WriteLine($"vgg[{i}]: |icd − lpips| = {Math.Abs(actual[i] - Expected("vgg", i)):E2}");
            Assert.True(Math.Abs(actual[i] - Expected("vgg", i)) < 1e-6, $"vgg[{i}]: icd {actual[i]}, lpips {Expected("vgg", i)}");
        }
    }

    /// <summary>iCD's LPIPS: two PNGs (96×80) resized to 224² by Pillow, piq's LPIPS-VGG.</summary>
    [Fact]
    public void IcdVariantMatchesPiq()
    {
        using var dir = new TempDir();
        using var lpips = RecipeVgg(dir);
        using var scope = new TensorScope();
        using var inference = Autograd.InferenceMode();
        var a = Icd.Imaging.ImageFile.Read(Data("piq_a.png"));
        var b = Icd.Imaging.ImageFile.Read(Data("piq_b.png"));
        double actual = lpips.Distance(Lpips.IcdInput(a), Lpips.IcdInput(b)).Item();
        output.WriteLine($"piq: |icd − piq| = {Math.Abs(actual - Expected("piq_vgg_224")):E2}");
        Assert.True(Math.Abs(actual - Expected("piq_vgg_224")) < 1e-6, $"icd {actual}, piq {Expected("piq_vgg_224")}");
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
