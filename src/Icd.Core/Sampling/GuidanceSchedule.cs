namespace Icd.Sampling;

/// <summary>
/// The guidance scale w fed to the guidance-distilled UNet's embedding at each step (embedded
/// units: classical CFG scale − 1; w = 0 is conditional-only). Either iCD's dynamic CFG or an
/// explicit per-step list such as Inverse-and-Edit's [0, 7, 11, 19].
/// </summary>
public abstract record GuidanceSchedule
{
    /// <summary>w for reverse step <paramref name="step"/> at timestep <paramref name="t"/>.</summary>
    public abstract double At(int step, long t);

    /// <summary>
    /// Dynamic CFG (METHOD B6, <c>linear_schedule_old</c>): t' = t/1000, γ = 1 if t' ≤ τ1, 0 if
    /// t' ≥ τ2, linear in between; w_eff = γ·w. The reference always uses τ1 = τ2 = τ, a step
    /// function: guidance is OFF at high noise (t &gt; 1000τ). τ = 1 is constant guidance.
    /// </summary>
    public sealed record Dynamic(double W, double Tau1, double Tau2) : GuidanceSchedule
    {
        public Dynamic(double w, double tau) : this(w, tau, tau)
        {
        }

        public override double At(int step, long t)
        {
            double tp = t / 1000.0;
            double gamma = tp <= Tau1 ? 1 : tp >= Tau2 ? 0 : (Tau2 - tp) / (Tau2 - Tau1);
            return gamma * W;
        }
    }

    /// <summary>An explicit w per reverse step (no gating).</summary>
    public sealed record PerStep(IReadOnlyList<double> Values) : GuidanceSchedule
    {
        public override double At(int step, long t) =>
            step < Values.Count ? Values[step] : throw new ArgumentOutOfRangeException(nameof(step), step, $"the guidance list has {Values.Count} entries");
    }

    /// <summary>w = 0 everywhere (inversion, reconstruction).</summary>
    public static GuidanceSchedule None { get; } = new Dynamic(0, 1.0);

    public static GuidanceSchedule Constant(double w) => new Dynamic(w, 1.0);
}
