using Icd.Torch.Optim;

namespace Icd.Torch.Tests;

public class OptimizerTests
{
    [Fact]
    public void AdamWMatchesTorchOptimAdamW()
    {
        // torch.optim.AdamW(lr=0.01, weight_decay=0.1), three steps on stored gradients.
        using var scope = new TensorScope();
        var inputs = TestData.Inputs("adamw");
        var expected = TestData.Outputs("adamw");
        var p = inputs[0].Clone().DetachFromScope().RequiresGrad_();
        using var opt = new AdamW([p], new AdamWOptions(LearningRate: 0.01, WeightDecay: 0.1));
        for (int step = 0; step < 3; step++)
        {
            p.Grad = inputs[step + 1];
            opt.Step();
            TestData.AssertClose(expected[step], p, 1e-7, 1e-6, $"step {step + 1}");
        }
        p.Dispose();
    }

    [Fact]
    public void AdamWStateRoundTripContinuesIdentically()
    {
        using var scope = new TensorScope();
        var inputs = TestData.Inputs("adamw");
        var a = inputs[0].Clone().DetachFromScope().RequiresGrad_();
        var b = inputs[0].Clone().DetachFromScope().RequiresGrad_();
        using var optA = new AdamW([a], new AdamWOptions(LearningRate: 0.01));
        a.Grad = inputs[1];
        optA.Step();
        using (Autograd.NoGrad()) b.Copy_(a);
        using var optB = new AdamW([b], new AdamWOptions(LearningRate: 0.01));
        optB.LoadStateDict(optA.StateDict());
        a.Grad = inputs[2];
        b.Grad = inputs[2];
        optA.Step();
        optB.Step();
        Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public void ClipGradNormScalesToTheBound()
    {
        using var scope = new TensorScope();
        var p = Tensor.Zeros([4]).DetachFromScope().RequiresGrad_();
        p.Grad = Tensor.FromArray(new float[] { 3, 4, 0, 0 }); // norm 5
        double before = GradClip.ClipGradNorm([p], 1.0);
        Assert.Equal(5.0, before, 5);
        var g = p.Grad!.ToArray<float>();
        Assert.Equal(0.6f, g[0], 4);
        Assert.Equal(0.8f, g[1], 4);
        p.Dispose();
    }

    [Fact]
    public void RejectsFrozenParameters()
    {
        using var p = Tensor.Zeros([2]).DetachFromScope();
        var e = Assert.Throws<ArgumentException>(() => new AdamW([p], new AdamWOptions()));
        Assert.Contains("does not require grad", e.Message);
    }

    [Fact]
    public void SchedulesAreStepFunctions()
    {
        var warm = LearningRateSchedules.ConstantWithWarmup(1.0, 4);
        Assert.Equal(0.25, warm(0));
        Assert.Equal(1.0, warm(3));
        Assert.Equal(1.0, warm(100));
        var cos = LearningRateSchedules.Cosine(1.0, 0, 10);
        Assert.Equal(1.0, cos(0), 10);
        Assert.Equal(0.5, cos(5), 10);
        Assert.Equal(0.0, cos(10), 10);
        // Warm-up 2, constant, then the last 4 of 10 steps fall by a quarter each: 1, 3/4, 1/2, 1/4.
        var wsd = LearningRateSchedules.WarmupStableDecay(1.0, 2, 10, 4);
        Assert.Equal([0.5, 1, 1, 1, 1, 1, 1, 0.75, 0.5, 0.25, 0], Enumerable.Range(0, 11).Select(s => wsd((long)s)));
        var none = LearningRateSchedules.WarmupStableDecay(1.0, 2, 10, 0);
        Assert.Equal([0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], Enumerable.Range(0, 11).Select(s => none((long)s)));
    }
}
