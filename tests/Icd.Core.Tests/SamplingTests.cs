using Icd.Sampling;
using Icd.Torch;

namespace Icd.Tests;

/// <summary>Schedule, jumps, boundaries and guidance against METHOD B's tables.</summary>
public class SamplingTests
{
    private static readonly NoiseSchedule Schedule = NoiseSchedule.StableDiffusion;

    // METHOD B1: t → ᾱ, α, σ (six significant digits).
    [Theory]
    [InlineData(0, 0.99915, 0.999575, 0.029155)]
    [InlineData(19, 0.982244, 0.991082, 0.133252)]
    [InlineData(249, 0.675432, 0.821847, 0.569708)]
    [InlineData(259, 0.658976, 0.811773, 0.583973)]
    [InlineData(339, 0.524892, 0.724494, 0.689281)]
    [InlineData(499, 0.277670, 0.526944, 0.849900)]
    [InlineData(519, 0.251578, 0.501575, 0.865114)]
    [InlineData(699, 0.083128, 0.288320, 0.957534)]
    [InlineData(779, 0.044200, 0.210239, 0.977650)]
    [InlineData(999, 0.004660, 0.068265, 0.997667)]
    public void ScheduleMatchesMethodTable(long t, double alphaBar, double alpha, double sigma)
    {
        // The table is rounded to six decimals.
        Assert.Equal(alphaBar, Schedule.AlphaBar(t), 1e-6);
        Assert.Equal(alpha, Schedule.Alpha(t), 1e-6);
        Assert.Equal(sigma, Schedule.Sigma(t), 1e-6);
    }

    [Fact]
    public void ScheduleEqualsTheReferenceAlphasCumprodBitForBit()
    {
        using var file = Icd.Torch.Serialization.SafetensorsFile.Open(Path.Combine(Paths.SharedReference, "tiny-sd", "tensors.safetensors"));
        using var reference = file.Load("aux/alphas_cumprod");
        Assert.Equal(reference.ToArray<float>(), Schedule.AlphasCumprod.ToArray());
    }

    [Fact]
    public void JumpRecoversX0AndHasAHardBoundaryAtZero()
    {
        using var scope = new TensorScope();
        using var gen = new Generator(1);
        var x0 = Tensor.Randn([1, 4, 8, 8], gen);
        var eps = Tensor.Randn([1, 4, 8, 8], gen);
        var xt = Schedule.AddNoise(x0, eps, 519);
        // With the true ε the jump's x̂0 is x0, and landing at s = 0 returns exactly x̂0.
        var toZero = ConsistencyJump.Apply(Schedule, xt, eps, 519, 0);
        Assert.True((toZero.PredictedX0 - x0).Abs().Max().Item() < 1e-5);
        Assert.Equal(toZero.PredictedX0.ToArray<float>(), toZero.Previous.ToArray<float>());
        // Landing at s = 259 equals add_noise(x0, ε, 259); and forward (s > t) works the same way.
        var to259 = ConsistencyJump.Apply(Schedule, xt, eps, 519, 259);
        Assert.True((to259.Previous - Schedule.AddNoise(x0, eps, 259)).Abs().Max().Item() < 1e-5);
        var to779 = ConsistencyJump.Apply(Schedule, xt, eps, 519, 779);
        Assert.True((to779.Previous - Schedule.AddNoise(x0, eps, 779)).Abs().Max().Item() < 1e-5);
    }

    [Theory]
    [InlineData("4steps_1", new long[] { 999, 779, 519, 259, 0 }, new long[] { 19, 259, 519, 779, 999 })]
    [InlineData("4steps_2", new long[] { 999, 699, 499, 249, 0 }, new long[] { 19, 249, 499, 699, 999 })]
    [InlineData("3steps", new long[] { 999, 699, 339, 0 }, new long[] { 19, 339, 699, 999 })]
    public void PresetsMatchMethodTable(string preset, long[] reverse, long[] forward)
    {
        var b = Boundaries.Preset(preset);
        Assert.Equal(reverse, b.Reverse.Select(p => p.T).Append(b.Reverse[^1].S));
        Assert.Equal(forward, b.Forward.Select(p => p.T).Append(b.Forward[^1].S));
    }

    [Fact]
    public void AutomaticRuleGivesTheReleasedBoundaries()
    {
        var four = Boundaries.Automatic(4);
        Assert.Equal(new long[] { 0, 259, 519, 779 }, four.ReverseEndpoints);
        Assert.Equal(new long[] { 259, 519, 779, 999 }, four.ForwardEndpoints);
        Assert.Equal(Boundaries.Preset("4steps_1"), four with { }, new BoundariesComparer());
        var three = Boundaries.Automatic(3);
        Assert.Equal(new long[] { 0, 339, 679 }, three.ReverseEndpoints);
        Assert.Equal(new long[] { 19, 39, 59 }, Boundaries.DdimGrid().Take(3));
        Assert.Equal(999, Boundaries.DdimGrid()[^1]);
    }

    private sealed class BoundariesComparer : IEqualityComparer<Boundaries>
    {
        public bool Equals(Boundaries? a, Boundaries? b) => a!.Reverse.SequenceEqual(b!.Reverse) && a.Forward.SequenceEqual(b.Forward);
        public int GetHashCode(Boundaries b) => 0;
    }

    [Fact]
    public void InverseAndEditStartsAtZero()
    {
        var b = Boundaries.Preset("4steps_1").WithForwardStart(0);
        Assert.Equal(new[] { new StepPair(0, 259), new StepPair(259, 519), new StepPair(519, 779), new StepPair(779, 999) }, b.Forward);
    }

    [Theory]
    [InlineData(0.8, new double[] { 0, 19, 19, 19 })]   // 4steps_1 at t = 999, 779, 519, 259
    [InlineData(0.7, new double[] { 0, 0, 19, 19 })]
    [InlineData(1.0, new double[] { 19, 19, 19, 19 })]
    public void DynamicCfgIsAStepFunction(double tau, double[] expected)
    {
        var g = new GuidanceSchedule.Dynamic(19, tau);
        var steps = Boundaries.Preset("4steps_1").Reverse;
        Assert.Equal(expected, steps.Select((p, i) => g.At(i, p.T)));
    }

    [Fact]
    public void DynamicCfgWithSdxlBoundaries()
    {
        var g = new GuidanceSchedule.Dynamic(7, 0.7);
        Assert.Equal(new double[] { 0, 7, 7, 7 }, Boundaries.Preset("4steps_2").Reverse.Select((p, i) => g.At(i, p.T)));
    }

    [Fact]
    public void PerStepScheduleIsUsedAsGiven()
    {
        var g = new GuidanceSchedule.PerStep([0, 7, 11, 19]);
        Assert.Equal(new double[] { 0, 7, 11, 19 }, Enumerable.Range(0, 4).Select(i => g.At(i, 999)));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.At(4, 0));
    }

    [Fact]
    public void GuidanceEmbeddingOfZeroIsNotZero()
    {
        using var e = Icd.Denoising.Embeddings.GuidanceScale([0.0], 512);
        var v = e.ToArray<float>();
        Assert.All(v.Take(256), x => Assert.Equal(0f, x));
        Assert.All(v.Skip(256), x => Assert.Equal(1f, x));
        // w = 1: a = 1000, f_1 = exp(−ln(10000)/255): sin(1000·f_1).
        using var e1 = Icd.Denoising.Embeddings.GuidanceScale([1.0], 512);
        // float32 arguments near 964 carry ~6e-5 of rounding.
        Assert.Equal(Math.Sin(1000 * Math.Exp(-Math.Log(10000) / 255)), e1.ToArray<float>()[1], 1e-4);
    }
}
