using Icd.Torch;

namespace Icd.Sampling;

/// <summary>
/// iCD's multi-boundary consistency function (METHOD B2, <c>predicted_origin</c> in the reference
/// code): from the model's ε at t, jump to the segment boundary s along the DDIM line:
/// x̂0 = (x_t − σ_t·ε)/α_t, x_s = α_s·x̂0 + σ_s·ε, with the hard boundary α_0 = 1, σ_0 = 0 at s = 0
/// (so x_0 = x̂0). The same jump serves the reverse (s &lt; t) and forward (s &gt; t) models; there is
/// no LCM c_skip/c_out preconditioning.
/// </summary>
public static class ConsistencyJump
{
    public static StepResult Apply(NoiseSchedule schedule, Tensor sample, Tensor epsilon, long t, long s)
    {
        float alphaT = schedule.Alpha(t), sigmaT = schedule.Sigma(t);
        float alphaS = s == 0 ? 1f : schedule.Alpha(s);
        float sigmaS = s == 0 ? 0f : schedule.Sigma(s);
        using var scope = new TensorScope();
        var x0 = (sample - epsilon * sigmaT) / alphaT;
        var xs = s == 0 ? x0.Share() : x0 * alphaS + epsilon * sigmaS;
        return new StepResult(xs.MoveToOuterScope(), x0.MoveToOuterScope());
    }

    /// <summary>The jump with a (t, s) pair per batch element (training draws them per sample).</summary>
    public static StepResult Apply(NoiseSchedule schedule, Tensor sample, Tensor epsilon, IReadOnlyList<long> t, IReadOnlyList<long> s)
    {
        using var scope = new TensorScope();
        var alphaT = schedule.Alphas(t);
        var sigmaT = schedule.Sigmas(t);
        var alphaS = Tensor.FromValues(s.Select(v => v == 0 ? 1f : schedule.Alpha(v)).ToArray(), s.Count, 1, 1, 1);
        var sigmaS = Tensor.FromValues(s.Select(v => v == 0 ? 0f : schedule.Sigma(v)).ToArray(), s.Count, 1, 1, 1);
        var x0 = (sample - epsilon * sigmaT) / alphaT;
        var xs = x0 * alphaS + epsilon * sigmaS;
        return new StepResult(xs.MoveToOuterScope(), x0.MoveToOuterScope());
    }
}
