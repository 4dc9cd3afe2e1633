using System.Globalization;

namespace Icd.Pipelines;

/// <summary>
/// The values every front end accepts for a numeric setting, so the CLI, the web API and library
/// callers refuse the same things (issue 37, item 7): finite, and inside [Min, Max]. A NaN or
/// infinite guidance or τ, or an amplify factor of 1e308, otherwise decodes to a black image.
/// </summary>
public sealed record SettingRange(double Min, double Max)
{
    /// <summary>Embedded guidance w (classical CFG − 1); iCD uses up to 19.</summary>
    public static readonly SettingRange Guidance = new(0, 50);
    /// <summary>Dynamic CFG's τ (guidance only where t ≤ 1000τ) and other fractions of the schedule.</summary>
    public static readonly SettingRange Fraction = new(0, 1);
    /// <summary>Prompt-to-Prompt's reweighting factor of a word's cross-attention.</summary>
    public static readonly SettingRange AmplifyFactor = new(0, 100);

    public bool Contains(double value) => double.IsFinite(value) && value >= Min && value <= Max;

    /// <summary>Returns <paramref name="value"/>, or throws naming <paramref name="what"/> (e.g. "--tau").</summary>
    public double Check(double value, string what) => Contains(value) ? value
        : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"{what} {value}: must be a finite number in [{Min}, {Max}]"));

    /// <summary><see cref="Check"/> for an optional value (null passes).</summary>
    public double? Check(double? value, string what) => value is { } v ? Check(v, what) : null;

    /// <summary>Diffusion timesteps as integers in [0, <paramref name="last"/>]: "259.7", "NaN" and
    /// "1e30" are refused rather than truncated or clamped.</summary>
    public static long[] ParseTimesteps(string text, string what, long last = 999)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException($"{what} '{text}': expected comma-separated timesteps, e.g. 259,519,779,999");
        return parts.Select(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long t) && t <= last ? t
            : throw new ArgumentException($"{what} '{text}': '{p}' is not a whole timestep in [0, {last}]")).ToArray();
    }
}
