using Icd.Torch;

namespace Icd.Sampling;

/// <summary>A solver step's result: the latent at the target step and the x̂0 it implied.</summary>
public sealed record StepResult(Tensor Previous, Tensor PredictedX0) : IDisposable
{
    public void Dispose()
    {
        Previous.Dispose();
        PredictedX0.Dispose();
    }
}

/// <summary>
/// Deterministic DDIM (η = 0, ε-prediction, no clipping), DDIM paper eq. (12):
/// x̂0 = (x_t − √(1−ᾱ_t)·ε)/√ᾱ_t, x_{t'} = √ᾱ_{t'}·x̂0 + √(1−ᾱ_{t'})·ε.
/// The same two lines move down (sampling, t' &lt; t) and up (DDIM inversion, t' &gt; t).
/// Scalars are float32, as in diffusers' scheduler.
/// </summary>
public static class Ddim
{
    public static StepResult Step(NoiseSchedule schedule, Tensor epsilon, long t, Tensor sample, long tNext)
    {
        float alphaBar = schedule.AlphaBar(t), alphaBarNext = schedule.AlphaBar(tNext);
        using var scope = new TensorScope();
        var x0 = (sample - epsilon * MathF.Sqrt(1f - alphaBar)) / MathF.Sqrt(alphaBar);
        var next = x0 * MathF.Sqrt(alphaBarNext) + epsilon * MathF.Sqrt(1f - alphaBarNext);
        return new StepResult(next.MoveToOuterScope(), x0.MoveToOuterScope());
    }
}
