using Icd.Checkpoints;
using Icd.Denoising;
using Icd.Lora;
using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Tests;

/// <summary>LoRA files in PEFT (iCD's released) and kohya formats on the tiny-sd UNet; merged
/// weights against W + scale·B·A computed by PyTorch (tests/tools/make_lora_fixtures.py).</summary>
public class LoraTests
{
    private static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);

    private static UNet2DConditionModel TinyUNet() => StableDiffusionLoader.LoadUNet(Path.Combine(Paths.TinySd, "unet"));

    private static Tensor WeightOf(Module model, string path) => model.NamedParameters().Single(p => p.Name == path + ".weight").Parameter;

    [Theory]
    [InlineData("lora_peft.safetensors", "peft")]
    [InlineData("lora_kohya.safetensors", "kohya")]
    public void FusedWeightsMatchPyTorch(string file, string format)
    {
        using var unet = TinyUNet();
        using var expected = SafetensorsFile.Open(Data("lora_expected.safetensors"));
        var originals = unet.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Clone().DetachFromScope());
        UNetLora.AttachFile(unet, "student", Data(file));
        UNetLora.Fuse(unet, "student");
        var modules = expected.Names.Where(n => n.EndsWith("/" + format, StringComparison.Ordinal)).ToList();
        Assert.Equal(7, modules.Count);
        foreach (var key in modules)
        {
            string module = key[..key.IndexOf('/')];
            using var want = expected.Load(key);
            AssertClose(want, WeightOf(unet, module), 1e-6);
        }
        UNetLora.Unfuse(unet);
        foreach (var (name, p) in unet.NamedParameters())
        {
            Assert.Equal(originals[name].ToArray<float>(), p.ToArray<float>()); // bit-exact restore
            originals[name].Dispose();
        }
    }

    [Fact]
    public void UnfusedAdapterEqualsFusedWeights()
    {
        using var unet = TinyUNet();
        using var scope = new TensorScope();
        using var gen = new Generator(3);
        var x = Tensor.Randn([1, 4, 16, 16], gen);
        var ctx = Tensor.Randn([1, 77, 32], gen);
        var cond = Embeddings.GuidanceScale([7.0], 32);
        var baseline = unet.Forward(x, 500, ctx, cond);
        UNetLora.AttachFile(unet, "student", Data("lora_peft.safetensors"));
        Assert.Equal(baseline.ToArray<float>(), unet.Forward(x, 500, ctx, cond).ToArray<float>()); // not active yet
        UNetLora.Activate(unet, "student");
        var adapted = unet.Forward(x, 500, ctx, cond);
        Assert.True((adapted - baseline).Abs().Max().Item() > 1e-3, "the adapter changes the output");
        UNetLora.Fuse(unet, "student");
        var fused = unet.Forward(x, 500, ctx, cond);
        AssertClose(adapted, fused, 1e-4);
        UNetLora.Unfuse(unet);
        UNetLora.Activate(unet, null);
        Assert.Equal(baseline.ToArray<float>(), unet.Forward(x, 500, ctx, cond).ToArray<float>());
    }

    [Fact]
    public void RoundTripsThroughThePeftWriter()
    {
        using var unet = TinyUNet();
        using var dir = new TempDir();
        using var weights = LoraFile.Read(Data("lora_kohya.safetensors"), unet);
        LoraFile.WritePeft(dir.File("out.safetensors"), weights.Adapters);
        using var again = LoraFile.Read(dir.File("out.safetensors"), unet, peftAlpha: 16);
        Assert.Equal(weights.Adapters.Keys.Order(), again.Adapters.Keys.Order());
        foreach (var (k, a) in weights.Adapters)
        {
            Assert.Equal(a.Scale, again.Adapters[k].Scale);
            Assert.Equal(a.A.ToArray<float>(), again.Adapters[k].A.ToArray<float>());
        }
    }

    [Fact]
    public void UnknownModuleIsAnErrorNamingTheKey()
    {
        using var unet = TinyUNet();
        using var dir = new TempDir();
        using var scope = new TensorScope();
        SafetensorsWriter.Write(dir.File("bad.safetensors"), new Dictionary<string, Tensor>
        {
            ["unet.base_model.model.down_blocks.0.attentions.0.nonexistent.lora_A.weight"] = Tensor.Zeros([4, 32]),
            ["unet.base_model.model.down_blocks.0.attentions.0.nonexistent.lora_B.weight"] = Tensor.Zeros([32, 4]),
        });
        var e = Assert.Throws<InvalidDataException>(() => LoraFile.Read(dir.File("bad.safetensors"), unet));
        Assert.Contains("bad.safetensors", e.Message);
        Assert.Contains("down_blocks.0.attentions.0.nonexistent", e.Message);
    }

    [Fact]
    public void WrongShapeIsAnErrorNamingTheModule()
    {
        using var unet = TinyUNet();
        using var dir = new TempDir();
        using var scope = new TensorScope();
        SafetensorsWriter.Write(dir.File("shape.safetensors"), new Dictionary<string, Tensor>
        {
            ["unet.base_model.model.mid_block.resnets.0.time_emb_proj.lora_A.weight"] = Tensor.Zeros([4, 99]),
            ["unet.base_model.model.mid_block.resnets.0.time_emb_proj.lora_B.weight"] = Tensor.Zeros([64, 4]),
        });
        var e = Assert.Throws<InvalidDataException>(() => LoraFile.Read(dir.File("shape.safetensors"), unet));
        Assert.Contains("mid_block.resnets.0.time_emb_proj", e.Message);
        Assert.Contains("do not fit", e.Message);
    }

    [Fact]
    public void TrainableAdaptersStartAsTheBaseModel()
    {
        using var unet = TinyUNet();
        using var scope = new TensorScope();
        using var gen = new Generator(4);
        var x = Tensor.Randn([1, 4, 16, 16], gen);
        var ctx = Tensor.Randn([1, 77, 32], gen);
        var cond = Embeddings.GuidanceScale([0.0], 32);
        var baseline = unet.Forward(x, 100, ctx, cond);
        UNetLora.CreateTrainable(unet, "fwd", LoraTargets.Icd, rank: 4, alpha: 8);
        UNetLora.Activate(unet, "fwd");
        Assert.Equal(baseline.ToArray<float>(), unet.Forward(x, 100, ctx, cond).ToArray<float>()); // B = 0
        var parameters = UNetLora.Parameters(unet, "fwd").ToList();
        Assert.All(parameters, p => Assert.True(p.RequiresGrad));
        Assert.DoesNotContain(UNetLora.Adapters(unet, "fwd").Keys, k => k.StartsWith("conv_in") || k.StartsWith("time_embedding") || k.StartsWith("conv_out"));
    }

    internal static void AssertClose(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        using var diff = (expected - actual).Abs();
        double max = diff.Max().Item();
        Assert.True(max <= tol, $"max |diff| {max:E3} > {tol:E1}");
    }
}
