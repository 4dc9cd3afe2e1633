using Icd.Torch.Nn;

namespace Icd.Torch.Tests;

/// <summary>A layer with an active adapter computes base(x) + scale·B(A(x)) whichever form runs
/// (PEFT's two layers, or the merged weight W + scale·B·A). Numbers by hand.</summary>
public class LoraLayerTests
{
    // Linear n → n with W = ones, no bias; A = ones [1, n] (rank 1), B = ones [n, 1], scale 0.5;
    // x = ones: W·x = n, A·x = n, so y = n + 0.5·n = 1.5·n in every output.
    private static Linear AdaptedLinear(int n, bool trainable)
    {
        var layer = new Linear(n, n, bias: false);
        using (Autograd.NoGrad()) layer.Weight.Copy_(Tensor.Ones([n, n]));
        layer.Weight.RequiresGrad = false; // the frozen base, as the students train it
        var a = Tensor.Ones([1, n]);
        var b = Tensor.Ones([n, 1]);
        a.RequiresGrad = trainable;
        b.RequiresGrad = trainable;
        layer.AddAdapter("student", new LoraAdapter(a, b, 0.5));
        layer.ActiveAdapter = "student";
        return layer;
    }

    private static float[] Filled(int n, float value) => Enumerable.Repeat(value, n).ToArray();

    // A training adapter on 2 → 2 (fan-in·out 4 ≤ 3·r·(fan-in + out) = 12) runs merged; on 8 → 8
    // (64 > 48) as two layers. A frozen adapter always runs merged.
    [Theory]
    [InlineData(2, true)]
    [InlineData(8, true)]
    [InlineData(8, false)]
    public void LinearAddsTheScaledLowRankProduct(int n, bool trainable)
    {
        using var layer = AdaptedLinear(n, trainable);
        using var scope = new TensorScope();
        Assert.Equal(Filled(n, 1.5f * n), layer.Forward(Tensor.Ones([1, n])).ToArray<float>());
        using (Autograd.NoGrad())
            Assert.Equal(Filled(n, 1.5f * n), layer.Forward(Tensor.Ones([1, n])).ToArray<float>());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    public void TrainableAdapterGetsItsGradient(int n)
    {
        using var layer = AdaptedLinear(n, trainable: true);
        using var scope = new TensorScope();
        Autograd.Backward([layer.Forward(Tensor.Ones([1, n])).Sum()]);
        var adapter = layer.Adapters["student"];
        // d sum(y) / dA_j = 0.5·Σ_i B_i·x_j = 0.5·n; d / dB_i = 0.5·(A·x) = 0.5·n.
        Assert.Equal(Filled(n, 0.5f * n), adapter.A.Grad!.ToArray<float>());
        Assert.Equal(Filled(n, 0.5f * n), adapter.B.Grad!.ToArray<float>());
        Assert.Null(layer.Weight.Grad);
    }

    [Fact]
    public void FrozenAdapterPassesTheInputGradientThroughTheMergedWeight()
    {
        // Guide-and-Rescale's case: the gradient with respect to the input only. W + 0.5·B·A = 1.5
        // everywhere, so d sum(y) / dx_j = 8·1.5.
        using var layer = AdaptedLinear(8, trainable: false);
        using var scope = new TensorScope();
        var x = Tensor.Ones([1, 8]).RequiresGrad_();
        Autograd.Backward([layer.Forward(x).Sum()]);
        Assert.Equal(Filled(8, 12), x.Grad!.ToArray<float>());
    }

    // 3×3 conv, no padding, over a 3×3 image of ones: one output pixel per channel. Base W = ones →
    // 9·c; A = ones [1, c, 3, 3] → 9·c; B = ones, scale 0.5 → + 4.5·c; y = 13.5·c.
    // Training: c = 1 runs merged (9 ≤ 30), c = 8 as two layers (576 > 240).
    [Theory]
    [InlineData(1, true)]
    [InlineData(8, true)]
    [InlineData(8, false)]
    public void ConvolutionAddsTheScaledLowRankProduct(int c, bool trainable)
    {
        using var layer = new Conv2d(c, c, 3, bias: false);
        using (Autograd.NoGrad()) layer.Weight.Copy_(Tensor.Ones([c, c, 3, 3]));
        layer.Weight.RequiresGrad = false;
        var a = Tensor.Ones([1, c, 3, 3]);
        var b = Tensor.Ones([c, 1, 1, 1]);
        a.RequiresGrad = trainable;
        b.RequiresGrad = trainable;
        layer.AddAdapter("student", new LoraAdapter(a, b, 0.5));
        layer.ActiveAdapter = "student";
        using var scope = new TensorScope();
        Assert.Equal(Filled(c, 13.5f * c), layer.Forward(Tensor.Ones([1, c, 3, 3])).ToArray<float>());
    }
}
