using Icd.Metrics;

namespace Icd.Core.Tests;

public class IntervalsTests
{
    // Student's t 97.5 % points as printed in standard tables (three decimals); 1 and 2 have closed forms.
    [Theory]
    [InlineData(1, 12.706, 0.001)]
    [InlineData(2, 4.303, 0.001)]
    [InlineData(3, 3.182, 0.004)]
    [InlineData(4, 2.776, 0.001)]
    [InlineData(5, 2.571, 0.001)]
    [InlineData(10, 2.228, 0.001)]
    [InlineData(23, 2.069, 0.001)]
    [InlineData(30, 2.042, 0.001)]
    [InlineData(120, 1.980, 0.001)]
    public void StudentTMatchesTheTables(int dof, double table, double tolerance) =>
        Assert.Equal(table, Intervals.StudentT975(dof), tolerance);

    [Fact]
    public void MeanOfZeroToTenHasStandardErrorOne()
    {
        // 0..10: mean 5, squared deviations sum to 110, sample variance 11, standard error √(11/11) = 1,
        // so the interval is 5 ± t(10) = 5 ± 2.228.
        var e = Intervals.Mean(Enumerable.Range(0, 11).Select(i => (double)i).ToArray());
        Assert.Equal(5, e.Mean, 12);
        Assert.Equal(2.772, e.Low, 3);
        Assert.Equal(7.228, e.High, 3);
        Assert.Equal(11, e.Count);
    }

    [Fact]
    public void PairedDifferenceCancelsWhatBothSidesShare()
    {
        // The scenes differ by tens of dB, the methods by exactly 0.5 on each: no spread left, a zero-width interval.
        double[] b = [20, 35, 28, 41];
        var e = Intervals.PairedDifference(b.Select(x => x + 0.5).ToArray(), b);
        Assert.Equal(0.5, e.Mean, 12);
        Assert.Equal(0.5, e.Low, 12);
        Assert.Equal(0.5, e.High, 12);
    }

    [Fact]
    public void OneSampleHasNoInterval()
    {
        var e = Intervals.Mean([3.0]);
        Assert.Equal(3, e.Mean);
        Assert.True(double.IsNegativeInfinity(e.Low) && double.IsPositiveInfinity(e.High));
    }

    [Fact]
    public void WilsonIntervalMatchesItsClosedForms()
    {
        const double z2 = Intervals.Z975 * Intervals.Z975;
        // At 0 of n the upper bound is z² / (n + z²); at n of n the lower bound is n / (n + z²).
        var none = Intervals.Proportion(0, 16);
        Assert.Equal(0, none.Low, 12);
        Assert.Equal(z2 / (16 + z2), none.High, 12);
        Assert.Equal(0.193606, none.High, 5);
        var all = Intervals.Proportion(16, 16);
        Assert.Equal(0.806394, all.Low, 5);
        Assert.Equal(1, all.High, 12);
        // 8 of 16, by hand: centre 0.5, half-width z·√(1/64 + z²/1024) / (1 + z²/16) = 0.220004.
        var half = Intervals.Proportion(8, 16);
        Assert.Equal(0.279996, half.Low, 5);
        Assert.Equal(0.720004, half.High, 5);
        // Mirror images: k of n and n − k of n.
        var nine = Intervals.Proportion(9, 16);
        var seven = Intervals.Proportion(7, 16);
        Assert.Equal(1 - seven.High, nine.Low, 12);
        Assert.Equal(1 - seven.Low, nine.High, 12);
    }

    [Fact]
    public void BadInputIsRefusedWithTheNumbers()
    {
        Assert.Contains("3 and 2", Assert.Throws<ArgumentException>(() => Intervals.PairedDifference([1, 2, 3], [1, 2])).Message);
        Assert.Contains("5 of 4", Assert.Throws<ArgumentOutOfRangeException>(() => Intervals.Proportion(5, 4)).Message);
        Assert.Throws<ArgumentException>(() => Intervals.Mean([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Intervals.StudentT975(0));
    }
}
