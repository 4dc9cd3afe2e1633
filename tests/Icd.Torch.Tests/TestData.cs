using Icd.Torch.Serialization;

namespace Icd.Torch.Tests;

/// <summary>Reference tensors computed by PyTorch (tests/tools/make_op_references.py).</summary>
internal static class TestData
{
    private static readonly Lazy<SafetensorsFile> Ops = new(() =>
        SafetensorsFile.Open(Path.Combine(AppContext.BaseDirectory, "Data", "ops.safetensors")));

    public static SafetensorsFile OpsFile => Ops.Value;

    public static Tensor[] Inputs(string name) => Series(name, "in");

    public static Tensor[] Outputs(string name) => Series(name, "out");

    private static Tensor[] Series(string name, string kind)
    {
        var list = new List<Tensor>();
        for (int k = 0; OpsFile.Contains($"{name}/{kind}/{k}"); k++) list.Add(OpsFile.Load($"{name}/{kind}/{k}"));
        return list.ToArray();
    }

    /// <summary>Asserts equal shapes and |a − e| ≤ atol + rtol·|e| everywhere.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double atol = 1e-5, double rtol = 1e-5, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        using var scope = new TensorScope();
        var e = expected.To(DType.Float64);
        var a = actual.To(DType.Float64);
        var err = (a - e).Abs();
        var bound = e.Abs() * rtol + atol;
        double worst = (err - bound).Max().Item();
        Assert.True(worst <= 0, $"{what}: max |error| {err.Max().Item():E3} exceeds tolerance (atol {atol}, rtol {rtol})");
    }
}
