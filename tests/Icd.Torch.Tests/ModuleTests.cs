using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Torch.Tests;

public class ModuleTests
{
    private sealed class Block : Module
    {
        public Block()
        {
            Norm = Child("norm", new GroupNorm(2, 4));
            Out = Child("to_out.0", new Linear(4, 3));
            Layers = Child("layers", new ModuleList<Linear>([new Linear(3, 3, bias: false), new Linear(3, 2)]));
            Buffer("position_ids", Tensor.Arange(5));
        }

        public GroupNorm Norm { get; }
        public Linear Out { get; }
        public ModuleList<Linear> Layers { get; }
    }

    [Fact]
    public void NamesAreStateDictKeys()
    {
        using var m = new Block();
        var names = m.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(new[]
        {
            "norm.weight", "norm.bias", "to_out.0.weight", "to_out.0.bias",
            "layers.0.weight", "layers.1.weight", "layers.1.bias",
        }, names);
        Assert.Equal(new[] { "position_ids" }, m.NamedBuffers().Select(b => b.Name));
        Assert.Equal(4 + 4 + 12 + 3 + 9 + 6 + 2, m.ParameterCount());
        Assert.All(m.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Fact]
    public void LoadStateDictCopiesValues()
    {
        using var a = new Block();
        using Block b = Init.Seed(99) is var s && s is not null ? Using(s, () => new Block()) : null!;
        var sd = a.StateDict();
        b.LoadStateDict(new DictionarySource(sd));
        foreach (var ((na, pa), (nb, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
            Assert.Equal(pa.ToArray<float>(), pb.ToArray<float>());
        foreach (var t in sd.Values) t.Dispose();
    }

    private static T Using<T>(IDisposable d, Func<T> f)
    {
        using (d) return f();
    }

    [Fact]
    public void StrictLoadNamesEveryProblem()
    {
        using var m = new Block();
        using var scope = new TensorScope();
        var sd = m.StateDict();
        sd.Remove("norm.bias");
        sd["to_out.0.weight"] = Tensor.Zeros([5, 4]);
        sd["extra.weight"] = Tensor.Zeros([1]);
        var e = Assert.Throws<WeightLoadException>(() => m.LoadStateDict(new DictionarySource(sd, "weights.safetensors")));
        Assert.Contains("weights.safetensors: 3 weight problem(s)", e.Message);
        Assert.Contains("missing key 'norm.bias'", e.Message);
        Assert.Contains("shape mismatch for 'to_out.0.weight': model expects [3, 4], file has [5, 4]", e.Message);
        Assert.Contains("unexpected key 'extra.weight'", e.Message);
    }

    [Fact]
    public void NonStrictLoadStillRefusesWrongShapes()
    {
        using var m = new Block();
        using var scope = new TensorScope();
        var sd = new Dictionary<string, Tensor> { ["norm.weight"] = Tensor.Zeros([7]) };
        Assert.Throws<WeightLoadException>(() => m.LoadStateDict(new DictionarySource(sd), strict: false));
        sd["norm.weight"] = Tensor.Full([4], 2);
        m.LoadStateDict(new DictionarySource(sd), strict: false);
        Assert.Equal(new float[] { 2, 2, 2, 2 }, m.Norm.Weight!.ToArray<float>());
    }

    [Fact]
    public void LoadsFromSafetensorsAndConvertsFp16()
    {
        using var m = new Block();
        using var scope = new TensorScope();
        string path = Path.Combine(Path.GetTempPath(), $"icd-module-{Guid.NewGuid():N}.safetensors");
        try
        {
            var sd = m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.DType == DType.Float32 ? kv.Value.To(DType.Float16) : kv.Value);
            SafetensorsWriter.Write(path, sd);
            using var other = new Block();
            using var file = SafetensorsFile.Open(path);
            other.LoadStateDict(new SafetensorsSource(file));
            Assert.Equal(DType.Float32, other.Out.Weight.DType);
            TestData.AssertClose(m.Out.Weight, other.Out.Weight, 1e-3, 1e-3);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ToConvertsInPlaceKeepingRegistration()
    {
        using var m = new Block();
        var weight = m.Out.Weight;
        m.To(DType.Float64);
        Assert.Equal(DType.Float64, m.Out.Weight.DType);
        Assert.Same(weight, m.NamedParameters().First(p => p.Name == "to_out.0.weight").Parameter);
        Assert.Equal(DType.Int64, m.NamedBuffers().Single().Buffer.DType);
    }

    [Fact]
    public void FreezingAndTrainMode()
    {
        using var m = new Block();
        m.SetRequiresGrad(false);
        Assert.All(m.Parameters(), p => Assert.False(p.RequiresGrad));
        m.Eval();
        Assert.All(m.NamedModules(), x => Assert.False(x.Module.Training));
    }

    [Fact]
    public void DropoutIsIdentityInEval()
    {
        using var scope = new TensorScope();
        var d = new Dropout(0.5);
        var x = Tensor.Ones([100]);
        d.Eval();
        Assert.Equal(100, d.Forward(x).Sum().Item());
        d.Train();
        TorchRuntime.ManualSeed(0);
        var y = d.Forward(x).ToArray<float>();
        Assert.All(y, v => Assert.True(v == 0 || v == 2));
    }

    [Fact]
    public void InitIsSeeded()
    {
        Linear a, b;
        using (Init.Seed(5)) a = new Linear(3, 3);
        using (Init.Seed(5)) b = new Linear(3, 3);
        Assert.Equal(a.Weight.ToArray<float>(), b.Weight.ToArray<float>());
        Assert.All(a.Weight.ToArray<float>(), v => Assert.InRange(v, -1 / MathF.Sqrt(3), 1 / MathF.Sqrt(3)));
        a.Dispose();
        b.Dispose();
    }
}
