namespace Icd.Torch.Tests;

/// <summary>Activation checkpointing: the same gradients as the plain graph, one recompute, the
/// callback's own exception, no leaked contexts or handles.</summary>
public class CheckpointTests
{
    // f(x, W) = tanh(x·W) ⊙ (x·W) with W a parameter used inside (reached only through the recompute).
    private static Tensor[] Block(Tensor x, Tensor w)
    {
        var h = x.Matmul(w);
        return [h.Tanh() * h, h.Sum(1)];
    }

    [Fact]
    public void GradientsMatchThePlainGraph()
    {
        using var scope = new TensorScope();
        using var gen = new Generator(5);
        var x0 = Tensor.Randn([3, 4], gen, DType.Float64);
        var w0 = Tensor.Randn([4, 5], gen, DType.Float64);
        var seed = Tensor.Randn([3, 5], gen, DType.Float64);

        (double[] Gx, double[] Gw) Run(bool checkpointed)
        {
            var x = x0.Clone().RequiresGrad_();
            var w = w0.Clone().RequiresGrad_();
            var y = checkpointed ? Checkpoint.Apply(i => Block(i[0], w), 2, x) : Block(x, w);
            // Both outputs carry gradient; the second one only through a sum.
            var loss = (y[0] * seed).Sum() + y[1].Square().Sum();
            Autograd.Backward([loss]);
            return (x.Grad!.ToArray<double>(), w.Grad!.ToArray<double>());
        }
        var plain = Run(false);
        var ckpt = Run(true);
        Assert.Equal(plain.Gx, ckpt.Gx);
        Assert.Equal(plain.Gw, ckpt.Gw);
    }

    [Fact]
    public void ParametersTrainWhenNoInputRequiresGrad()
    {
        using var scope = new TensorScope();
        var x = Tensor.Ones([2, 3]);
        var w = Tensor.Full([3, 3], 0.5).RequiresGrad_();
        var y = Checkpoint.Apply(i => [i[0].Matmul(w)], 1, x)[0];
        Assert.True(y.RequiresGrad);
        Autograd.Backward([y.Sum()]);
        Assert.Equal(Enumerable.Repeat(2f, 9), w.Grad!.ToArray<float>()); // d/dW Σ x·W = xᵀ·1 = 2 everywhere
    }

    [Fact]
    public void RecomputesOnceAndKeepsNoGraphInside()
    {
        using var scope = new TensorScope();
        int calls = 0;
        bool? recordedInForward = null;
        var x = Tensor.Ones([4]).RequiresGrad_();
        var y = Checkpoint.Apply(i =>
        {
            calls++;
            recordedInForward ??= Autograd.IsGradEnabled;
            return [i[0].Exp()];
        }, 1, x)[0];
        Assert.Equal(1, calls);
        Assert.False(recordedInForward); // the first pass records nothing
        Autograd.Backward([y.Sum()]);
        Assert.Equal(2, calls);
        Assert.All(x.Grad!.ToArray<float>(), g => Assert.Equal(Math.E, g, 5));
    }

    [Fact]
    public void WithoutGradientsItIsAPlainCall()
    {
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        int before = Checkpoint.LiveContexts;
        var y = Checkpoint.Apply(i => [i[0] + 1], 1, Tensor.Zeros([2]))[0];
        Assert.Equal(new float[] { 1, 1 }, y.ToArray<float>());
        Assert.Equal(before, Checkpoint.LiveContexts);
    }

    [Fact]
    public void TheFunctionsExceptionSurfacesFromBackward()
    {
        using var scope = new TensorScope();
        int calls = 0;
        var x = Tensor.Ones([2]).RequiresGrad_();
        var y = Checkpoint.Apply(i => ++calls == 2 ? throw new InvalidDataException("recompute failed") : [i[0] * 2], 1, x)[0];
        var e = Assert.Throws<InvalidDataException>(() => Autograd.Backward([y.Sum()]));
        Assert.Equal("recompute failed", e.Message);
        var f = Assert.Throws<ArgumentException>(() => Checkpoint.Apply(_ => throw new ArgumentException("bad"), 1, x));
        Assert.Equal("bad", f.Message);
    }

    [Fact]
    public void ContextsAndHandlesAreReleased()
    {
        long handles = Tensor.SettledLiveHandles();
        int contexts = Checkpoint.LiveContexts;
        for (int k = 0; k < 200; k++)
        {
            using var scope = new TensorScope();
            var x = Tensor.Ones([8, 8]).RequiresGrad_();
            var y = Checkpoint.Apply(i => [i[0].Matmul(i[0]).Tanh()], 1, x)[0];
            if (k % 2 == 0) Autograd.Backward([y.Sum()]); // half never run backward: the graph is just dropped
        }
        Assert.Equal(handles, Tensor.SettledLiveHandles());
        Assert.Equal(contexts, Checkpoint.LiveContexts);
    }
}
