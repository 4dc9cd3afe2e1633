using Icd.Metrics;
using Icd.Shapes;

namespace Icd.Core.Tests;

public class TargetsTableTests
{
    private static ShapesEvaluator.InversionRow Row(InversionPair pair, InversionGuidance guidance, double[] psnr, double lpips = 0.05) =>
        new($"{pair} {guidance}", pair, guidance, psnr.Average(), 0.9, 0.001, lpips, 0.99, 8, 0.1,
            new ShapesEvaluator.InversionSamples(psnr, psnr.Select(_ => 0.9).ToArray(), psnr.Select(_ => lpips).ToArray()));

    private static ShapesEvaluator.EditRow Colour(string method, int successes, int edits, double preservation) =>
        new(nameof(EditKind.ChangeColour), method, 25, 0.9, preservation, (double)successes / edits, 8, 0.1,
            new ShapesEvaluator.EditSamples(Enumerable.Range(0, edits).Select(i => i < successes).ToArray(), Enumerable.Repeat(preservation, edits).ToArray()));

    [Theory]
    [InlineData(2.5, 2.1, 2.9, TargetVerdict.Met)]
    [InlineData(2.5, 1.9, 3.1, TargetVerdict.MetWithinNoise)]
    [InlineData(1.5, 0.9, 2.1, TargetVerdict.MissedWithinNoise)]
    [InlineData(1.5, 1.1, 1.9, TargetVerdict.Missed)]
    public void AtLeastReadsTheInterval(double mean, double low, double high, TargetVerdict expected) =>
        Assert.Equal(expected, TargetsTable.AtLeast(new Estimate(mean, low, high, 10), 2));

    [Theory]
    [InlineData(0.5, 0.2, 0.8, TargetVerdict.Met)]
    [InlineData(0.9, 0.7, 1.1, TargetVerdict.MetWithinNoise)]
    [InlineData(1.1, 0.9, 1.3, TargetVerdict.MissedWithinNoise)]
    [InlineData(1.5, 1.2, 1.8, TargetVerdict.Missed)]
    public void AtMostReadsTheInterval(double mean, double low, double high, TargetVerdict expected) =>
        Assert.Equal(expected, TargetsTable.AtMost(new Estimate(mean, low, high, 10), 1));

    [Fact]
    public void ChecksEachTargetOnPairedImages()
    {
        double[] icd = [30.5, 31.2, 32.4, 33.1];
        var inversion = new[]
        {
            // DDIM − iCD per image: 0.4, 0.7, 0.5, 0.8 → mean 0.6, s.e. 0.0913, 95 % up to 0.6 + 3.18·0.0913 = 0.89 < 1.
            Row(InversionPair.Ddim, InversionGuidance.Unguided, [30.9, 31.9, 32.9, 33.9]),
            Row(InversionPair.Icd, InversionGuidance.Unguided, icd, lpips: 0.030),
            // Cycle − iCD: +0.1, −0.2, +0.05, 0: mean −0.0125, an interval either side of 0; higher on 2 of 4.
            Row(InversionPair.Cycle, InversionGuidance.Unguided, [30.6, 31.0, 32.45, 33.1], lpips: 0.025),
            // Dynamic − constant: 3, 3.5, 2.5, 2.5 → mean 2.875, s.e. 0.239, 95 % from 2.11: above 2 throughout.
            Row(InversionPair.Icd, InversionGuidance.Constant, [23, 22, 24, 25]),
            Row(InversionPair.Icd, InversionGuidance.Dynamic, [26, 25.5, 26.5, 27.5]),
        };
        var editing = new[]
        {
            // 15 of 16: Wilson's interval reaches down to 72 %, so 94 % meets 90 % within noise.
            Colour(ShapesEvaluator.PromptSwitch, 15, 16, 30),
            // 9 of 16: up to 77 %, below 90 % throughout; the preservation alone would pass.
            Colour(ShapesEvaluator.IcdPromptToPrompt, 9, 16, 27),
        };
        var rows = TargetsTable.Check(inversion, editing);
        Assert.Equal(5, rows.Count);
        Assert.Equal(TargetVerdict.Met, rows[0].Verdict);
        Assert.StartsWith("0.60 (95 %: 0.31 to 0.89) dB behind", rows[0].Measured);
        Assert.Equal(TargetVerdict.MissedWithinNoise, rows[1].Verdict);
        Assert.Contains("higher on 2 of 4 images", rows[1].Measured);
        Assert.Contains("Shapes-LPIPS lower by +0.0050", rows[1].Measured);
        Assert.Equal(TargetVerdict.Met, rows[2].Verdict);
        Assert.StartsWith("+2.88 (95 %: +2.11 to +3.64) dB", rows[2].Measured);
        Assert.Equal(TargetVerdict.MetWithinNoise, rows[3].Verdict);
        Assert.Contains("success 15/16 = 94 % (95 %: 72 %–99 %)", rows[3].Measured);
        Assert.Equal(TargetVerdict.Missed, rows[4].Verdict);
        Assert.Contains(ShapesEvaluator.IcdPromptToPrompt, rows[4].Target);
    }

    [Fact]
    public void ChecksOnlyWhatTheRunMeasured()
    {
        var rows = TargetsTable.Check([Row(InversionPair.Ddim, InversionGuidance.Unguided, [31, 32]), Row(InversionPair.Icd, InversionGuidance.Unguided, [30, 31.5])], []);
        Assert.Single(rows);
        Assert.Equal("yes, within noise", TargetsTable.Describe(rows[0].Verdict)); // 0.75 dB, but two images give 0.75 ± 12.7 · 0.25
    }
}
