using Icd.Metrics.Fid;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Reference;

/// <summary>
/// Reference weights regenerated instead of stored (FID Inception: 95 MB, LPIPS' VGG16: 59 MB):
/// libtorch's CPU generator seeded once, one standard-normal draw per state-dict key in ordinal key
/// order, shaped into plausible values by a per-key rule. The reference scripts do the same with the
/// same tensor-by-scalar ops, so the float32 values are identical.
/// </summary>
public static class SeededWeights
{
    public static void Fill(Module module, ulong seed, Func<string, long[], Tensor, Tensor> rule)
    {
        using var generator = new Generator(seed);
        using var noGrad = Autograd.NoGrad();
        foreach (var (name, target) in module.NamedParameters().Concat(module.NamedBuffers()).OrderBy(t => t.Item1, StringComparer.Ordinal))
        {
            using var scope = new TensorScope();
            target.Copy_(rule(name, target.Shape, Tensor.Randn(target.Shape, generator)));
        }
        module.Eval();
        module.SetRequiresGrad(false);
    }

    /// <summary>He-scaled weights r/√(fan_in/2), so the input still shows after many ReLUs.</summary>
    public static Tensor HeScaled(Tensor r, long[] shape) => r / Math.Sqrt(shape.Skip(1).Aggregate(1L, (a, b) => a * b) / 2.0);

    /// <summary>tests/tools/make_inception_reference.py's recipe (seed 20261207).</summary>
    public static FidInceptionV3 Inception()
    {
        var model = new FidInceptionV3();
        Fill(model, 20261207, (name, shape, r) => name switch
        {
            _ when name.EndsWith(".conv.weight", StringComparison.Ordinal) || name == "fc.weight" => HeScaled(r, shape),
            _ when name.EndsWith(".bn.weight", StringComparison.Ordinal) => r * 0.1 + 1.0,
            _ when name.EndsWith(".bn.running_var", StringComparison.Ordinal) => r.Abs() * 0.1 + 1.0,
            _ => r * 0.05,   // bn.bias, bn.running_mean, fc.bias
        });
        return model;
    }
}
