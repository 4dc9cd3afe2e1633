using Icd.Torch.Serialization;
using Icd.Torch.Serialization.Fuzzing;

namespace Icd.Torch.Tests;

/// <summary>Issue 37, items 2–5: a seeded corpus of hostile safetensors and torch.save files is read
/// with no crash, no hang and no error that does not name the file; every mutation that must be
/// refused is.</summary>
public class HostileCheckpointTests
{
    private static readonly Lazy<FuzzReport> Corpus = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("icd-fuzz-");
        try
        {
            return FuzzRunner.Run(HostileFiles.Generate(seed: 1, count: 300), dir.FullName, TimeSpan.FromSeconds(10));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    });

    [Fact]
    public void NoCrashHangOrUnnamedError()
    {
        var report = Corpus.Value;
        Assert.Equal(300, report.Cases.Count);
        Assert.True(!report.Failures.Any(), string.Join("\n", report.Failures.Take(10).Select(f => $"{f.Outcome} {f.Mutation}: {f.Message}")));
        Assert.False(File.Exists("/tmp/icd-fuzz-pwned"));
    }

    public static TheoryData<string> MustBeRefused => new(HostileFiles.Kinds.Where(k => !k.EndsWith("byte flips", StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(MustBeRefused))]
    public void EveryFileOfThisKindIsRefused(string kind)
    {
        var cases = Corpus.Value.Cases.Where(c => c.Mutation == kind).ToList();
        Assert.NotEmpty(cases);
        Assert.All(cases, c => Assert.True(c.Outcome == FuzzOutcome.Refused, $"{c.Mutation}: {c.Outcome} {c.Message}"));
    }

    [Fact]
    public void SpecificRefusalsSayWhatIsWrong()
    {
        string Message(string mutation) => Corpus.Value.Cases.First(c => c.Mutation == mutation).Message!;
        Assert.Contains("refusing to load", Message("torch.save code execution"));
        Assert.Contains("contains itself", Message("torch.save self-containing dict"));
        Assert.Contains("nested more than", Message("torch.save deep nesting"));
        Assert.Contains("elements but its storage only 4", Message("torch.save zero stride"));
        Assert.Contains("CRC-32", Message("torch.save damaged data, stale CRC"));
        Assert.Contains("is not a plain name", Message("torch.save path-like storage key"));
        Assert.Contains("appears twice", Message("safetensors duplicate keys"));
    }
}
