using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Torch.Tests;

/// <summary>CPU autocast (mixed-precision training, issue 38): inside the scope a linear layer's GEMM
/// runs on bf16 casts of its float32 input and weights, exactly as the same op on hand-made casts;
/// the float32 weights receive float32 gradients; outside the scope nothing is cast.</summary>
public class AutocastTests
{
    [Fact]
    public void LinearRunsInBf16OnCastsAndItsFloat32WeightsGetFloat32Gradients()
    {
        using var scope = new TensorScope();
        using var gen = new Generator(3);
        using var layer = new Linear(16, 8);
        var x = Tensor.Randn([4, 16], gen);
        var expected = Functional.Linear(x.To(DType.BFloat16), layer.Weight.To(DType.BFloat16), layer.Bias!.To(DType.BFloat16)).To(DType.Float32).ToArray<float>();
        Tensor y;
        using (Autograd.Autocast(DType.BFloat16))
        {
            y = layer.Forward(x);
            Assert.Equal(DType.BFloat16, y.DType);
            Assert.Equal(expected, y.To(DType.Float32).ToArray<float>());
            Autograd.Backward([y.To(DType.Float32).Square().Sum()]);
        }
        Assert.Equal(DType.Float32, layer.Weight.DType);
        Assert.NotNull(layer.Weight.Grad);
        Assert.Equal(DType.Float32, layer.Weight.Grad!.DType);
        Assert.Equal(DType.Float32, layer.Forward(x).DType);
    }

    [Fact]
    public void NestedScopesRestoreTheOuterState()
    {
        using var scope = new TensorScope();
        using var gen = new Generator(4);
        var a = Tensor.Randn([3, 3], gen);
        using (Autograd.Autocast(DType.BFloat16))
        {
            using (Autograd.Autocast(DType.BFloat16)) Assert.Equal(DType.BFloat16, a.Mm(a).DType);
            Assert.Equal(DType.BFloat16, a.Mm(a).DType);
        }
        Assert.Equal(DType.Float32, a.Mm(a).DType);
    }
}
