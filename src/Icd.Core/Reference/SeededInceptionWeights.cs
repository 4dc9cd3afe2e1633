using Icd.Metrics.Fid;
using Icd.Torch;

namespace Icd.Reference;

/// <summary>
/// The FID Inception reference case's weights, regenerated instead of stored (95 MB): libtorch's
/// CPU generator seeded once, one standard-normal draw per state-dict key in ordinal key order,
/// shaped into plausible values (<c>weights_recipe</c> in the case's config.json; the same ops as
/// tests/tools/make_inception_reference.py, so the float32 values are identical).
/// </summary>
internal static class SeededInceptionWeights
{
    public const ulong Seed = 20261207;

    public static FidInceptionV3 Create(ulong seed = Seed)
    {
        var model = new FidInceptionV3();
        using var generator = new Generator(seed);
        using var noGrad = Autograd.NoGrad();
        var tensors = model.NamedParameters().Concat(model.NamedBuffers()).OrderBy(t => t.Item1, StringComparer.Ordinal);
        foreach (var (name, target) in tensors)
        {
            using var scope = new TensorScope();
            var r = Tensor.Randn(target.Shape, generator);
            Tensor value = name switch
            {
                _ when name.EndsWith(".conv.weight", StringComparison.Ordinal) || name == "fc.weight" =>
                    r / Math.Sqrt(target.Shape.Skip(1).Aggregate(1L, (a, b) => a * b) / 2.0),   // He scale: the input still shows at pool3
                _ when name.EndsWith(".bn.weight", StringComparison.Ordinal) => r * 0.1 + 1.0,
                _ when name.EndsWith(".bn.running_var", StringComparison.Ordinal) => r.Abs() * 0.1 + 1.0,
                _ => r * 0.05,   // bn.bias, bn.running_mean, fc.bias
            };
            target.Copy_(value);
        }
        model.Eval();
        model.SetRequiresGrad(false);
        return model;
    }
}
