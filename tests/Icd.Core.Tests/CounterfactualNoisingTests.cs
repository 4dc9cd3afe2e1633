using Icd.Imaging;
using Icd.Sampling;
using Icd.Shapes;
using Icd.Torch;
using Icd.Training;

namespace Icd.Tests;

/// <summary>The teacher's counterfactual noising: its ε-target by hand, its guard rails, and a step
/// on Shapes scenes.</summary>
public class CounterfactualNoisingTests
{
    [Fact]
    public void TargetByHandAtTheFirstTimestep()
    {
        // SD's schedule: ᾱ_0 = 1 − β_0 = 1 − 0.00085, so √(ᾱ/(1−ᾱ)) = √(0.99915 / 0.00085) = 34.28514.
        using var scope = new TensorScope();
        var eps = Tensor.FromValues(new float[] { 0.5f, -1f }, 1, 2, 1, 1);
        var z0 = Tensor.FromValues(new float[] { 0.1f, 0.2f }, 1, 2, 1, 1);
        var counterfactual = Tensor.FromValues(new float[] { 0.3f, 0.2f }, 1, 2, 1, 1);
        var target = CounterfactualNoising.Target(NoiseSchedule.StableDiffusion, eps, z0, counterfactual, [0]).ToArray<float>();
        Assert.Equal(0.5 + 34.28514 * 0.2, target[0], 2e-3);
        Assert.Equal(-1.0, target[1], 6); // no difference, no change
    }

    [Fact]
    public void TargetNamesTheCaptionsImageInTheSameNoisedInput()
    {
        // √ᾱ·z̃0 + √(1−ᾱ)·ε = √ᾱ·z0 + √(1−ᾱ)·ε*: the input is a noising of the caption's latent with noise ε*.
        using var scope = new TensorScope();
        using var gen = new Generator(4);
        var schedule = NoiseSchedule.StableDiffusion;
        var eps = Tensor.Randn([3, 4, 2, 2], gen);
        var z0 = Tensor.Randn([3, 4, 2, 2], gen);
        var counterfactual = Tensor.Randn([3, 4, 2, 2], gen);
        long[] t = [500, 800, 999];
        var target = CounterfactualNoising.Target(schedule, eps, z0, counterfactual, t);
        var fromCounterfactual = schedule.AddNoise(counterfactual, eps, t).ToArray<float>();
        var fromCaption = schedule.AddNoise(z0, target, t).ToArray<float>();
        for (int i = 0; i < fromCaption.Length; i++) Assert.Equal(fromCounterfactual[i], fromCaption[i], 4);
    }

    [Theory]
    [InlineData(0.0, 500)]
    [InlineData(1.5, 500)]
    [InlineData(double.NaN, 500)]
    [InlineData(0.5, -1)]
    public void BadSettingsAreRefused(double probability, long minTimestep)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CounterfactualNoising(probability, minTimestep).Validate());
    }

    [Fact]
    public void ASourceWithoutCounterfactualsIsRefusedByName()
    {
        using var net = Icd.Checkpoints.StableDiffusionLoader.Load(Paths.TinySd);
        var data = TinyTeacherData.Batches(net, new TinyTeacherData.Plain());
        var error = Assert.Throws<ArgumentException>(() => new TeacherStage(net.UNet, data, net.Schedule, Run) { Counterfactual = new(0.5, 500) });
        Assert.Contains("ICounterfactualSource", error.Message);
        Assert.Throws<InvalidOperationException>(() => data.Counterfactual(0, 1));
    }

    [Fact]
    public void ATeacherStepOnShapesScenesSwapsInRecolouredScenes()
    {
        using var net = Icd.Checkpoints.StableDiffusionLoader.Load(Paths.TinySd);
        var source = TinyTeacherData.Shapes();
        var data = TinyTeacherData.Batches(net, source);
        using var scope = new TensorScope();
        // The counterfactual image is the scene with other object colours: it differs from the item's image.
        var (image, caption) = source.Get(3);
        Assert.Equal(caption, source.Caption(3)); // the caption alone, without rendering, is the same
        var counterfactual = source.Counterfactual(3, 9);
        Assert.NotEqual(image.Pixels, counterfactual.Pixels);
        Assert.Equal(counterfactual.Pixels, source.Counterfactual(3, 9).Pixels);
        using var stage = new TeacherStage(net.UNet, data, net.Schedule, Run) { Counterfactual = new(1, 0) };
        Assert.True(double.IsFinite(stage.Step(0)["loss"]));
    }

    private static RunOptions Run => TinyTeacherData.OneStep(2);
}
