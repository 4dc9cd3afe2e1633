using Icd.Torch;

namespace Icd.Sampling;

/// <summary>
/// Stops an inference loop whose latent overflowed, saying where: NaN or infinite values (weights
/// with huge values, an extreme guidance or amplify factor) otherwise decode to an all-black image
/// that is written as if it were a result (issue 37, item 6). One reduction per step, against a
/// UNet call per step. Training loops do not use it: they check their losses.
/// </summary>
public static class FiniteLatent
{
    /// <param name="phase">What the loop does ("inversion", "denoising", …).</param>
    /// <param name="step">0-based step index within the phase.</param>
    /// <param name="t">The timestep the latent is at after the step.</param>
    public static void Check(Tensor x, string phase, int step, long t)
    {
        if (x.AllFinite()) return;
        throw new InvalidOperationException($"the latent became NaN or infinite in {phase} step {step + 1} (now at t = {t}): the weights (a LoRA or checkpoint with huge values?) or the settings (guidance, amplify factors) overflow; no image was written");
    }
}
