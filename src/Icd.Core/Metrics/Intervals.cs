namespace Icd.Metrics;

/// <summary>A measured value with its 95 % interval, from <paramref name="Count"/> samples. With too few
/// samples for an interval (a paired difference of one image) the bounds are infinite.</summary>
public readonly record struct Estimate(double Mean, double Low, double High, int Count);

/// <summary>
/// 95 % intervals for the evaluation's comparisons, so a report can say whether a difference between
/// two methods on the same images is larger than what the choice of images alone would give: a
/// Student-t interval on per-image differences (the same scenes through both methods, so the
/// scene-to-scene spread cancels), and Wilson's score interval on a success rate (which, unlike
/// p ± 1.96·√(p(1 − p)/n), stays inside [0, 1] and is not zero-width at 0 or n successes).
/// </summary>
public static class Intervals
{
    /// <summary>The standard normal's 97.5 % point.</summary>
    public const double Z975 = 1.959963984540054;

    /// <summary>The mean of <c>a[i] − b[i]</c> and its two-sided 95 % t-interval.</summary>
    public static Estimate PairedDifference(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count)
            throw new ArgumentException($"a paired difference needs as many samples on both sides ({a.Count} and {b.Count})", nameof(b));
        return Mean(a.Zip(b, (x, y) => x - y).ToList());
    }

    /// <summary>The mean of <paramref name="samples"/> and its two-sided 95 % t-interval.</summary>
    public static Estimate Mean(IReadOnlyList<double> samples)
    {
        int n = samples.Count;
        if (n == 0) throw new ArgumentException("an estimate needs at least one sample", nameof(samples));
        double mean = samples.Average();
        if (n == 1) return new Estimate(mean, double.NegativeInfinity, double.PositiveInfinity, 1);
        double variance = samples.Sum(x => (x - mean) * (x - mean)) / (n - 1);
        double half = StudentT975(n - 1) * Math.Sqrt(variance / n);
        return new Estimate(mean, mean - half, mean + half, n);
    }

    /// <summary>A success rate <paramref name="successes"/> / <paramref name="trials"/> with Wilson's 95 % score interval.</summary>
    public static Estimate Proportion(int successes, int trials)
    {
        if (trials <= 0 || successes < 0 || successes > trials)
            throw new ArgumentOutOfRangeException(nameof(successes), $"a proportion needs 0 ≤ successes ≤ trials and trials > 0, got {successes} of {trials}");
        double p = (double)successes / trials, z2 = Z975 * Z975, n = trials;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z975 / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        // Clamped: at 0 or n successes the bound is exactly 0 or 1, up to rounding.
        return new Estimate(p, Math.Max(0, centre - half), Math.Min(1, centre + half), trials);
    }

    /// <summary>
    /// Student's t 97.5 % point for <paramref name="dof"/> degrees of freedom: exact for 1 and 2
    /// (closed forms), otherwise the Cornish–Fisher expansion around the normal point to ν⁻⁴
    /// (Abramowitz and Stegun 26.7.5), within 4·10⁻³ of the tables at ν = 3 and 10⁻³ from ν = 4.
    /// </summary>
    public static double StudentT975(int dof)
    {
        if (dof < 1) throw new ArgumentOutOfRangeException(nameof(dof), $"degrees of freedom must be ≥ 1, got {dof}");
        if (dof == 1) return Math.Tan(Math.PI * (0.975 - 0.5));
        if (dof == 2) { const double p = 0.975; return (2 * p - 1) * Math.Sqrt(2 / (4 * p * (1 - p))); }
        double z = Z975, v = dof;
        double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z, z9 = z7 * z * z;
        return z
            + (z3 + z) / (4 * v)
            + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v)
            + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v)
            + (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * v * v * v * v);
    }
}
