using System.Globalization;
using Icd.Metrics;

namespace Icd.Shapes;

/// <summary>How a measured value stands against a target, given its 95 % interval.</summary>
public enum TargetVerdict
{
    /// <summary>The whole interval is on the target's side.</summary>
    Met,
    /// <summary>The value is on the target's side; the interval reaches the other.</summary>
    MetWithinNoise,
    /// <summary>The value misses; the interval reaches the target's side.</summary>
    MissedWithinNoise,
    /// <summary>The whole interval misses.</summary>
    Missed,
}

/// <summary>
/// The Shapes world issue's four targets, checked on an evaluation's own rows: 4-step iCD within 1 dB
/// PSNR of the 50-step DDIM inversion; cycle fine-tuning better than iCD; dynamic CFG ≥ 2 dB better
/// than constant guidance for guided reconstruction; colour edits ≥ 90 % successful with ≥ 25 dB
/// PSNR outside the change mask. Each comes with a 95 % interval (<see cref="Intervals"/>): inversion
/// comparisons are paired per image (both methods see the same scenes), success rates get Wilson's
/// interval, so the report says which verdicts a different draw of a few dozen scenes could turn.
/// </summary>
public static class TargetsTable
{
    public sealed record Row(string Target, string Measured, TargetVerdict Verdict);

    public const double DdimGap = 1, DynamicGain = 2, ColourSuccess = 0.9, ColourPreservation = 25;

    /// <summary>The targets the rows allow (a run without the cycle model or colour edits checks fewer).</summary>
    public static List<Row> Check(IReadOnlyList<ShapesEvaluator.InversionRow> inversion, IReadOnlyList<ShapesEvaluator.EditRow> editing)
    {
        var rows = new List<Row>();
        ShapesEvaluator.InversionRow? Find(InversionPair pair, InversionGuidance guidance) =>
            inversion.FirstOrDefault(r => r.Pair == pair && r.Guidance == guidance);
        var ddim = Find(InversionPair.Ddim, InversionGuidance.Unguided);
        var icd = Find(InversionPair.Icd, InversionGuidance.Unguided);
        if (ddim is not null && icd is not null)
        {
            var gap = Intervals.PairedDifference(ddim.PerImage.Psnr, icd.PerImage.Psnr);
            rows.Add(new("4-step iCD within 1 dB PSNR of 50-step DDIM inversion",
                F($"{Interval(gap, "F2")} dB behind ({ddim.Psnr:F2} against {icd.Psnr:F2} dB, {gap.Count} images)"), AtMost(gap, DdimGap)));
        }
        var cycle = Find(InversionPair.Cycle, InversionGuidance.Unguided);
        if (icd is not null && cycle is not null)
        {
            var psnr = Intervals.PairedDifference(cycle.PerImage.Psnr, icd.PerImage.Psnr);
            var ssim = Intervals.PairedDifference(cycle.PerImage.Ssim, icd.PerImage.Ssim);
            // Lower is better: iCD's distance minus the cycle model's, so that better is positive on every metric.
            var lpips = Intervals.PairedDifference(icd.PerImage.Lpips, cycle.PerImage.Lpips);
            int wins = cycle.PerImage.Psnr.Zip(icd.PerImage.Psnr).Count(p => p.First > p.Second);
            rows.Add(new("cycle fine-tuning better than iCD (PSNR)",
                F($"{Signed(psnr, "F2")} dB ({cycle.Psnr:F2} against {icd.Psnr:F2}; higher on {wins} of {psnr.Count} images); SSIM {Signed(ssim, "F3")}; Shapes-LPIPS lower by {Signed(lpips, "F4")}"),
                AtLeast(psnr, 0)));
        }
        var constant = Find(InversionPair.Icd, InversionGuidance.Constant);
        var dynamic = Find(InversionPair.Icd, InversionGuidance.Dynamic);
        if (constant is not null && dynamic is not null)
        {
            var gain = Intervals.PairedDifference(dynamic.PerImage.Psnr, constant.PerImage.Psnr);
            rows.Add(new("dynamic CFG ≥ 2 dB better than constant guidance (iCD)",
                F($"{Signed(gain, "F2")} dB ({constant.Psnr:F2} → {dynamic.Psnr:F2} dB)"), AtLeast(gain, DynamicGain)));
        }
        foreach (var method in ShapesEvaluator.IcdEditMethods)
        {
            var row = editing.FirstOrDefault(r => r.Kind == nameof(EditKind.ChangeColour) && r.Method == method);
            if (row is null || row.PerEdit.Success.Length == 0) continue;
            var success = Intervals.Proportion(row.PerEdit.Success.Count(s => s), row.PerEdit.Success.Length);
            var kept = Intervals.Mean(row.PerEdit.Preservation);
            // Both must hold: the worse verdict of the two (the enum runs from best to worst).
            var verdict = (TargetVerdict)Math.Max((int)AtLeast(success, ColourSuccess), (int)AtLeast(kept, ColourPreservation));
            rows.Add(new($"colour edits ≥ 90 % successful, ≥ 25 dB outside the mask: {method}",
                F($"success {Math.Round(success.Mean * success.Count)}/{success.Count} = {success.Mean:P0} (95 %: {success.Low:P0}–{success.High:P0}); outside the mask {Interval(kept, "F1")} dB"), verdict));
        }
        return rows;
    }

    public static TargetVerdict AtLeast(Estimate e, double target) =>
        e.Low >= target ? TargetVerdict.Met : e.Mean >= target ? TargetVerdict.MetWithinNoise : e.High >= target ? TargetVerdict.MissedWithinNoise : TargetVerdict.Missed;

    /// <summary>At most <paramref name="target"/> is at least −target for the negated estimate.</summary>
    public static TargetVerdict AtMost(Estimate e, double target) => AtLeast(new Estimate(-e.Mean, -e.High, -e.Low, e.Count), -target);

    public static string Describe(TargetVerdict verdict) => verdict switch
    {
        TargetVerdict.Met => "yes",
        TargetVerdict.MetWithinNoise => "yes, within noise",
        TargetVerdict.MissedWithinNoise => "no, within noise",
        _ => "no",
    };

    private static string Interval(Estimate e, string format) => Described(e, x => x.ToString(format, CultureInfo.InvariantCulture));

    /// <summary>As <see cref="Interval"/>, each number with its sign (a difference).</summary>
    private static string Signed(Estimate e, string format) =>
        Described(e, x => (x >= 0 ? "+" : "−") + Math.Abs(x).ToString(format, CultureInfo.InvariantCulture));

    private static string Described(Estimate e, Func<double, string> number)
    {
        string Bound(double x) => double.IsInfinity(x) ? (x > 0 ? "∞" : "−∞") : number(x);
        return $"{number(e.Mean)} (95 %: {Bound(e.Low)} to {Bound(e.High)})";
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
