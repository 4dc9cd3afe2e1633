using Icd.Reference;

namespace Icd.Tests;

/// <summary>Every check of every metric network's reference case (tests/reference, made from the
/// upstream implementations by tests/tools/make_*_reference.py) passes.</summary>
public class MetricReferenceTests
{
    public static TheoryData<string> Cases => new(ReferenceChecker.FindCases(Paths.MetricReference).Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Cases))]
    public void AllChecksPass(string caseName)
    {
        using var checker = new ReferenceChecker(Path.Combine(Paths.MetricReference, caseName));
        var results = checker.Run().ToList();
        Assert.NotEmpty(results);
        var failures = results.Where(r => !r.Passed).Select(r => $"{r.Check}.{r.Output}: max_abs {r.MaxAbsError:E2} ratio {r.WorstRatio:F3} {r.Problem}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
