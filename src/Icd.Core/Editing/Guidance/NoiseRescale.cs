using Icd.Torch;

namespace Icd.Editing.Guidance;

/// <summary>
/// GaR's <c>range_other_on_cfg_norm</c> (METHOD C2 step 5): r = ‖∇‖₂ / ‖ε_trg − ε_inv‖₂ over the
/// whole tensor, r_c = clip(r, lo, hi), k = r_c / r; the guidance added is k·∇, so its norm is
/// r_c·‖ε_trg − ε_inv‖ (capped at hi times the CFG-like term). k = 1 when ∇ = 0; k = 0 when
/// ε_trg = ε_inv (there is no scale to measure the guidance against).
/// </summary>
public static class NoiseRescale
{
    public static double Factor(double gradientNorm, double referenceNorm, double lo, double hi)
    {
        if (!(lo >= 0 && lo <= hi)) throw new ArgumentOutOfRangeException(nameof(lo), $"rescale bounds [{lo}, {hi}] must satisfy 0 ≤ lo ≤ hi");
        if (gradientNorm == 0) return 1;
        if (referenceNorm == 0) return 0;
        double r = gradientNorm / referenceNorm;
        return Math.Clamp(r, lo, hi) / r;
    }

    public static double Factor(Tensor gradient, Tensor epsTarget, Tensor epsInversion, double lo, double hi)
    {
        using var diff = epsTarget - epsInversion;
        using var gn = gradient.Norm();
        using var rn = diff.Norm();
        return Factor(gn.Item(), rn.Item(), lo, hi);
    }
}
