using Icd.Reference;

namespace Icd.Tests;

/// <summary>Every check of every reference case under ../shared/reference passes.</summary>
public class ReferenceParityTests
{
    public static TheoryData<string> Cases => new(ReferenceChecker.FindCases(Paths.SharedReference).Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Cases))]
    public void AllChecksPass(string caseName)
    {
        using var checker = new ReferenceChecker(Path.Combine(Paths.SharedReference, caseName));
        var results = checker.Run().ToList();
        Assert.NotEmpty(results);
        var failures = results.Where(r => !r.Passed).Select(r => $"{r.Check}.{r.Output}: max_abs {r.MaxAbsError:E2} ratio {r.WorstRatio:F3} {r.Problem}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}

/// <summary>The uncontrolled attention's query-row blocks (<see cref="Icd.Blocks.Attention.SliceBytes"/>)
/// give the reference outputs too: with a 4 KiB bound every self- and cross-attention layer of the
/// tiny models runs in many blocks, including a last, shorter one.</summary>
public class SlicedAttentionParityTests
{
    [Theory]
    [MemberData(nameof(ReferenceParityTests.Cases), MemberType = typeof(ReferenceParityTests))]
    public void AllChecksPassWithSmallAttentionBlocks(string caseName)
    {
        long saved = Icd.Blocks.Attention.SliceBytes;
        Icd.Blocks.Attention.SliceBytes = 4096;
        try
        {
            using var checker = new ReferenceChecker(Path.Combine(Paths.SharedReference, caseName));
            var failures = checker.Run().Where(r => !r.Passed).Select(r => $"{r.Check}.{r.Output}: max_abs {r.MaxAbsError:E2} {r.Problem}").ToList();
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
        finally
        {
            Icd.Blocks.Attention.SliceBytes = saved;
        }
    }
}
