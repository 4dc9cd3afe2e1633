using Icd.Torch;

namespace Icd.Sampling;

/// <summary>
/// The discrete noise schedule (METHOD B1): β_i = (√β_start + (√β_end − √β_start)·i/(N−1))² for
/// "scaled_linear", ᾱ = cumprod(1 − β), α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t). ᾱ is computed with float32
/// tensor ops exactly as diffusers does, so every value is bit-identical to the reference's.
/// </summary>
public sealed class NoiseSchedule
{
    private readonly float[] _alphasCumprod;

    public NoiseSchedule(SchedulerConfig config)
    {
        config.Validate();
        Config = config;
        int n = config.NumTrainTimesteps;
        using var scope = new TensorScope();
        var betas = config.BetaSchedule == "scaled_linear"
            ? Tensor.Linspace(Math.Sqrt(config.BetaStart), Math.Sqrt(config.BetaEnd), n).Pow(2)
            : Tensor.Linspace(config.BetaStart, config.BetaEnd, n);
        _alphasCumprod = (1.0 - betas).Cumprod(0).ToArray<float>();
    }

    public static NoiseSchedule StableDiffusion { get; } = new(SchedulerConfig.StableDiffusion);

    public SchedulerConfig Config { get; }

    public int TrainSteps => _alphasCumprod.Length;

    public IReadOnlyList<float> AlphasCumprod => _alphasCumprod;

    /// <summary>ᾱ_t. A negative t (the step "before 0" of DDIM's last jump) uses ᾱ_0, as
    /// diffusers does with set_alpha_to_one = false; with true it is 1.</summary>
    public float AlphaBar(long t)
    {
        if (t >= TrainSteps) throw new ArgumentOutOfRangeException(nameof(t), t, $"timestep must be < {TrainSteps}");
        if (t < 0) return Config.SetAlphaToOne ? 1f : _alphasCumprod[0];
        return _alphasCumprod[t];
    }

    /// <summary>α_t = √ᾱ_t (signal scale).</summary>
    public float Alpha(long t) => MathF.Sqrt(AlphaBar(t));

    /// <summary>σ_t = √(1 − ᾱ_t) (noise scale).</summary>
    public float Sigma(long t) => MathF.Sqrt(1f - AlphaBar(t));

    /// <summary>α_t per batch element, shaped (B, 1, 1, 1) to broadcast over latents.</summary>
    public Tensor Alphas(IReadOnlyList<long> t) => Column(t.Select(Alpha).ToArray());

    /// <summary>σ_t per batch element, shaped (B, 1, 1, 1).</summary>
    public Tensor Sigmas(IReadOnlyList<long> t) => Column(t.Select(Sigma).ToArray());

    private static Tensor Column(float[] values) => Tensor.FromValues(values, values.Length, 1, 1, 1);

    /// <summary>add_noise with one timestep per batch element.</summary>
    public Tensor AddNoise(Tensor x0, Tensor noise, IReadOnlyList<long> t)
    {
        using var a = Alphas(t);
        using var s = Sigmas(t);
        using var ax = x0 * a;
        using var sn = noise * s;
        return ax + sn;
    }

    /// <summary>diffusers' add_noise: √ᾱ_t·x0 + √(1 − ᾱ_t)·ε.</summary>
    public Tensor AddNoise(Tensor x0, Tensor noise, long t)
    {
        using var a = x0 * Alpha(t);
        using var b = noise * Sigma(t);
        return a + b;
    }
}
