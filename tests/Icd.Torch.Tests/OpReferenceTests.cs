namespace Icd.Torch.Tests;

/// <summary>Every op against the values PyTorch computed for the same inputs.</summary>
public class OpReferenceTests
{
    private static readonly Dictionary<string, Func<Tensor[], Tensor[]>> Cases = new()
    {
        ["add"] = x => [x[0] + x[1]],
        ["sub_alpha"] = x => [x[0].Sub(x[1], 2.5)],
        ["mul"] = x => [x[0] * x[1]],
        ["div"] = x => [x[0] / x[1]],
        ["rsub_scalar"] = x => [3.0 - x[0]],
        ["neg"] = x => [-x[0]],
        ["exp"] = x => [x[0].Exp()],
        ["log"] = x => [x[0].Log()],
        ["sqrt"] = x => [x[0].Sqrt()],
        ["rsqrt"] = x => [x[0].Rsqrt()],
        ["pow_scalar"] = x => [x[0].Pow(1.7)],
        ["pow_tensor"] = x => [x[0].Pow(x[1])],
        ["sin"] = x => [x[0].Sin()],
        ["cos"] = x => [x[0].Cos()],
        ["abs"] = x => [x[0].Abs()],
        ["clamp"] = x => [x[0].Clamp(-0.5, 0.7)],
        ["where"] = x => [Tensor.Where(x[0], x[1], x[2])],
        ["silu"] = x => [x[0].Silu()],
        ["gelu_exact"] = x => [x[0].Gelu()],
        ["gelu_tanh"] = x => [x[0].Gelu(tanhApproximation: true)],
        ["quick_gelu"] = x => [x[0].QuickGelu()],
        ["sigmoid"] = x => [x[0].Sigmoid()],
        ["tanh"] = x => [x[0].Tanh()],
        ["softmax"] = x => [x[0].Softmax(-1)],
        ["log_softmax"] = x => [x[0].LogSoftmax(1)],
        ["sum_dim"] = x => [x[0].Sum([0, 2])],
        ["mean_keep"] = x => [x[0].Mean(1, keepDim: true)],
        ["var"] = x => [x[0].Var([2])],
        ["std_all"] = x => [x[0].Std().Reshape(1)],
        ["max_dim"] = x => { var (v, i) = x[0].Max(1); return [v, i]; },
        ["min_all"] = x => [x[0].Min().Reshape(1)],
        ["argmax"] = x => [x[0].Argmax(2)],
        ["norm"] = x => [x[0].Norm().Reshape(1)],
        ["cumsum"] = x => [x[0].Cumsum(1)],
        ["cumprod"] = x => [x[0].Cumprod(2)],
        ["topk"] = x => { var (v, i) = x[0].Topk(2); return [v, i]; },
        ["sort"] = x => { var (v, i) = x[0].Sort(1, descending: true); return [v, i]; },
        ["matmul"] = x => [x[0].Matmul(x[1])],
        ["bmm"] = x => [x[0].Bmm(x[1])],
        ["baddbmm"] = x => [x[0].Baddbmm(x[1], x[2], beta: 0.5, alpha: 0.125)],
        ["einsum"] = x => [Tensor.Einsum("bij,bjk->bik", x[0], x[1])],
        ["linear"] = x => [Functional.Linear(x[0], x[1], x[2])],
        ["conv2d_s1p1"] = x => [Functional.Conv2d(x[0], x[1], x[2], stride: 1, padding: 1)],
        ["conv2d_s2p1"] = x => [Functional.Conv2d(x[0], x[1], x[2], stride: 2, padding: 1)],
        ["conv2d_groups"] = x => [Functional.Conv2d(x[0], x[1], null, padding: 1, groups: 2)],
        ["group_norm"] = x => [Functional.GroupNorm(x[0], 2, x[1], x[2], 1e-6)],
        ["layer_norm"] = x => [Functional.LayerNorm(x[0], [6], x[1], x[2], 1e-5)],
        ["embedding"] = x => [Functional.Embedding(x[0], x[1])],
        ["interp_nearest"] = x => [Functional.Interpolate(x[0], 12, 5, InterpolationMode.Nearest)],
        ["interp_nearest_x2"] = x => [Functional.Interpolate(x[0], 2.0, InterpolationMode.Nearest)],
        ["interp_bilinear"] = x => [Functional.Interpolate(x[0], 12, 5, InterpolationMode.Bilinear)],
        ["interp_bicubic"] = x => [Functional.Interpolate(x[0], 12, 5, InterpolationMode.Bicubic)],
        ["interp_bilinear_aa"] = x => [Functional.Interpolate(x[0], 4, 3, InterpolationMode.Bilinear, antialias: true)],
        ["interp_bicubic_aa"] = x => [Functional.Interpolate(x[0], 4, 3, InterpolationMode.Bicubic, antialias: true)],
        ["avg_pool2d"] = x => [Functional.AvgPool2d(x[0], 2, 2)],
        ["max_pool2d"] = x => [Functional.MaxPool2d(x[0], 3, 1, 1)],
        ["unfold"] = x => [Functional.Unfold(x[0], 3, 2)],
        ["one_hot"] = x => [Functional.OneHot(x[0], 10)],
        ["pad"] = x => [x[0].Pad([1, 2, 0, 3], 0.5)],
        ["cat"] = x => [Tensor.Cat([x[0], x[1]], 1)],
        ["stack"] = x => [Tensor.Stack([x[0], x[1]], 0)],
        ["chunk"] = x => x[0].Chunk(2, 2),
        ["permute"] = x => [x[0].Permute(2, 0, 1).Contiguous()],
        ["gather"] = x => [x[0].Gather(1, x[1])],
        ["index_select"] = x => [x[0].IndexSelect(2, x[1])],
        ["mse_loss"] = x => [Functional.MseLoss(x[0], x[1]).Reshape(1)],
        ["cosine_similarity"] = x => [Functional.CosineSimilarity(x[0], x[1], 1)],
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        using var scope = new TensorScope();
        var inputs = TestData.Inputs(name);
        var expected = TestData.Outputs(name);
        var actual = Cases[name](inputs);
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
        {
            Assert.Equal(expected[k].DType, actual[k].DType);
            TestData.AssertClose(expected[k], actual[k], 1e-5, 1e-5, $"{name} output {k}");
        }
    }

    [Fact]
    public void EveryReferenceCaseIsTested()
    {
        var stored = TestData.OpsFile.Names.Select(n => n.Split('/')[0]).Distinct()
            .Where(n => !n.StartsWith("randn_", StringComparison.Ordinal) && !n.StartsWith("rand", StringComparison.Ordinal) && n != "adamw");
        Assert.Empty(stored.Except(Cases.Keys));
    }
}
