namespace Icd.Torch.Tests;

/// <summary>Autograd gradients of every differentiable op the project uses, against central
/// finite differences in float64.</summary>
public class GradientCheckTests
{
    private static Tensor R(Generator g, params long[] shape) => Tensor.Rand(shape, g, DType.Float64) * 2.0 - 1.0;

    private static Tensor Pos(Generator g, params long[] shape) => Tensor.Rand(shape, g, DType.Float64) + 0.5;

    // Each case: inputs to differentiate and the function of them.
    private static readonly Dictionary<string, (Func<Generator, Tensor[]> Inputs, Func<Tensor[], Tensor> F)> Cases = new()
    {
        ["add_mul_div"] = (g => [R(g, 3, 4), Pos(g, 4)], x => (x[0] + x[1]) * x[0] / x[1]),
        ["exp_log_sqrt"] = (g => [Pos(g, 5)], x => x[0].Exp() + x[0].Log() + x[0].Sqrt() + x[0].Rsqrt()),
        ["pow_sin_cos"] = (g => [Pos(g, 5)], x => x[0].Pow(1.7) + x[0].Sin() * x[0].Cos()),
        ["pow_tensor"] = (g => [Pos(g, 4), R(g, 4)], x => x[0].Pow(x[1])),
        ["abs_clamp"] = (g => [R(g, 6)], x => x[0].Abs() + x[0].Clamp(-0.3, 0.4)),
        ["where"] = (g => [R(g, 6), R(g, 6)], x => { using var c = x[0].Gt(0); return Tensor.Where(c, x[0], x[1] * 2.0); }),
        ["activations"] = (g => [R(g, 8)], x => x[0].Silu() + x[0].Gelu() + x[0].Gelu(true) + x[0].QuickGelu() + x[0].Sigmoid() + x[0].Tanh()),
        ["softmax"] = (g => [R(g, 2, 5)], x => x[0].Softmax(-1) + x[0].LogSoftmax(0)),
        ["reductions"] = (g => [R(g, 3, 4)], x => x[0].Sum([1]) + x[0].Mean([1]) + x[0].Var([1]) + x[0].Std([1]) + x[0].Norm(2, [1])),
        ["max_amax"] = (g => [R(g, 3, 4)], x => x[0].Max(1).Values + x[0].Amax([1])),
        ["matmul_bmm"] = (g => [R(g, 2, 3, 4), R(g, 2, 4, 2)], x => x[0].Bmm(x[1]) + x[0].Matmul(x[1])),
        ["baddbmm"] = (g => [R(g, 2, 3, 2), R(g, 2, 3, 4), R(g, 2, 4, 2)], x => x[0].Baddbmm(x[1], x[2], 0.5, 0.25)),
        ["einsum"] = (g => [R(g, 2, 3, 4), R(g, 2, 5, 4)], x => Tensor.Einsum("bik,bjk->bij", x[0], x[1])),
        ["linear"] = (g => [R(g, 2, 3), R(g, 4, 3), R(g, 4)], x => Functional.Linear(x[0], x[1], x[2])),
        ["conv2d"] = (g => [R(g, 1, 2, 5, 5), R(g, 3, 2, 3, 3), R(g, 3)], x => Functional.Conv2d(x[0], x[1], x[2], 2, 1)),
        ["conv2d_groups"] = (g => [R(g, 1, 4, 4, 4), R(g, 4, 2, 3, 3)], x => Functional.Conv2d(x[0], x[1], null, 1, 1, 1, 2)),
        ["group_norm"] = (g => [R(g, 2, 4, 3, 3), R(g, 4), R(g, 4)], x => Functional.GroupNorm(x[0], 2, x[1], x[2], 1e-6)),
        ["layer_norm"] = (g => [R(g, 2, 5), R(g, 5), R(g, 5)], x => Functional.LayerNorm(x[0], [5], x[1], x[2], 1e-5)),
        ["embedding"] = (g => [R(g, 6, 3)], x => { using var i = Tensor.FromArray(new long[] { 1, 5, 1, 0 }); return Functional.Embedding(x[0], i); }),
        ["interp_nearest"] = (g => [R(g, 1, 2, 3, 3)], x => Functional.Interpolate(x[0], 2.0, InterpolationMode.Nearest)),
        ["interp_bilinear"] = (g => [R(g, 1, 2, 3, 3)], x => Functional.Interpolate(x[0], 5, 4, InterpolationMode.Bilinear)),
        ["interp_bicubic_aa"] = (g => [R(g, 1, 1, 6, 6)], x => Functional.Interpolate(x[0], 3, 4, InterpolationMode.Bicubic, antialias: true)),
        ["pools"] = (g => [R(g, 1, 2, 4, 4)], x => Functional.AvgPool2d(x[0], 2, 2) + Functional.MaxPool2d(x[0], 2, 2)),
        ["unfold"] = (g => [R(g, 1, 2, 5, 5)], x => Functional.Unfold(x[0], 3, 2)),
        ["shape_ops"] = (g => [R(g, 2, 3, 4)], x => Tensor.Cat([x[0].Permute(0, 2, 1).Reshape(2, 12), x[0].Chunk(2, 2)[1].Flatten(1)], 1)),
        ["stack_expand_pad"] = (g => [R(g, 3, 1)], x => Tensor.Stack([x[0].Expand(3, 4), x[0].Repeat(1, 4)]).Pad([1, 1], 0.0)),
        ["gather_index"] = (g => [R(g, 3, 4)], x =>
        {
            using var i = Tensor.FromArray(new long[] { 0, 3, 3, 1, 2, 0 }, 3, 2);
            using var j = Tensor.FromArray(new long[] { 2, 0 });
            return x[0].Gather(1, i) + x[0].IndexSelect(0, j).Narrow(1, 0, 2).Sum() ;
        }),
        ["cumsum_cumprod"] = (g => [Pos(g, 2, 4)], x => x[0].Cumsum(1) + x[0].Cumprod(1)),
        ["mse_cosine"] = (g => [R(g, 2, 5), R(g, 2, 5)], x => Functional.MseLoss(x[0], x[1]) + Functional.CosineSimilarity(x[0], x[1], 1).Sum()),
        ["slice_select"] = (g => [R(g, 4, 5)], x => x[0].Slice(1, 1, 5, 2) * x[0].Select(0, 2).Slice(0, 0, 2)),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void AutogradMatchesFiniteDifferences(string name)
    {
        using var scope = new TensorScope();
        using var gen = new Generator(11);
        var (makeInputs, f) = Cases[name];
        var inputs = makeInputs(gen).Select(t => t.Detach().RequiresGrad_()).ToArray();
        Tensor weights;
        using (Autograd.NoGrad())
        {
            using var probe = f(inputs);
            weights = Tensor.Randn(probe.Shape, gen, DType.Float64);
        }
        Tensor Loss(Tensor[] x) { using var y = f(x); return (y * weights).Sum(); }

        var loss = Loss(inputs);
        var analytic = Autograd.Grad([loss], inputs);

        const double eps = 1e-6;
        using var noGrad = Autograd.NoGrad();
        for (int k = 0; k < inputs.Length; k++)
        {
            var flat = inputs[k].View(-1);
            var numeric = new double[flat.NumberOfElements];
            for (int i = 0; i < numeric.Length; i++)
            {
                double original = flat.Select(0, i).Item();
                flat.Select(0, i).Fill_(original + eps);
                double plus = Loss(inputs).Item();
                flat.Select(0, i).Fill_(original - eps);
                double minus = Loss(inputs).Item();
                flat.Select(0, i).Fill_(original);
                numeric[i] = (plus - minus) / (2 * eps);
            }
            var got = analytic[k]!.ToArray<double>();
            for (int i = 0; i < numeric.Length; i++)
            {
                double tol = 1e-6 + 1e-5 * Math.Abs(numeric[i]);
                Assert.True(Math.Abs(got[i] - numeric[i]) <= tol,
                    $"{name}: input {k} element {i}: autograd {got[i]:R}, finite difference {numeric[i]:R}");
            }
        }
    }
}
