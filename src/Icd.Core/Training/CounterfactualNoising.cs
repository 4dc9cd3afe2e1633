using Icd.Imaging;
using Icd.Sampling;
using Icd.Torch;

namespace Icd.Training;

/// <summary>A data source that can also draw, for an item, an image that contradicts its caption in
/// an attribute the caption names (the Shapes world recolours objects, <c>Icd.Shapes.Recolouring</c>).</summary>
public interface ICounterfactualSource : IImageCaptionSource
{
    /// <summary>A counterfactual of item <paramref name="index"/>; the same (index, seed) gives the same image.</summary>
    RgbImage Counterfactual(long index, ulong seed);
}

/// <summary>
/// The teacher's counterfactual noising (not in either paper; the Shapes world's answer to a teacher
/// that takes object colours from x_t rather than from the caption). With probability
/// <see cref="Probability"/>, a captioned sample whose timestep is at least <see cref="MinTimestep"/>
/// is noised from a counterfactual image z̃0 while the loss still asks for the caption's image z0:
/// x_t = √ᾱ_t·z̃0 + √(1−ᾱ_t)·ε, and the ε-target is the noise that makes x_t a noising of z0,
/// ε* = ε + √(ᾱ_t/(1−ᾱ_t))·(z̃0 − z0). In training data x_t and caption never disagree, so a teacher
/// may read a colour from either; here, at high noise, only the caption is right.
/// </summary>
public sealed record CounterfactualNoising(double Probability, long MinTimestep)
{
    public CounterfactualNoising Validate()
    {
        if (!(Probability is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(Probability), Probability, "must be in (0, 1]");
        if (MinTimestep < 0) throw new ArgumentOutOfRangeException(nameof(MinTimestep), MinTimestep, "must be ≥ 0");
        return this;
    }

    /// <summary>ε* = ε + √(ᾱ_t/(1−ᾱ_t))·(z̃0 − z0), per batch row: the noise with
    /// √ᾱ_t·z0 + √(1−ᾱ_t)·ε* = √ᾱ_t·z̃0 + √(1−ᾱ_t)·ε.</summary>
    public static Tensor Target(NoiseSchedule schedule, Tensor eps, Tensor z0, Tensor counterfactual, IReadOnlyList<long> t)
    {
        using var scope = new TensorScope();
        return (eps + (counterfactual - z0) * schedule.Alphas(t) / schedule.Sigmas(t)).MoveToOuterScope();
    }
}
