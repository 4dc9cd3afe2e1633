using System.CommandLine;
using Icd.Torch.Serialization.Fuzzing;

namespace Icd.Cli.Commands;

/// <summary><c>icd fuzz checkpoints</c>: reads a seeded corpus of hostile weight files and prints
/// JSON: how many were read, refused with a named error, crashed, hung or refused without naming
/// the file, the peak RSS, and the first failures. Exit code 1 when anything failed.</summary>
internal static class FuzzCommand
{
    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "files to generate and read", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "corpus seed (the same seed gives the same files)", DefaultValueFactory = _ => 1 };
        var limit = new Option<double>("--limit") { Description = "seconds one file may take before it counts as a hang", DefaultValueFactory = _ => 10 };
        var work = new Option<string?>("--work") { Description = "folder for the files while they are read (default: a new temporary folder)" };
        var checkpoints = new Command("checkpoints", $"Generate hostile safetensors and torch.save files ({HostileFiles.Kinds.Count} kinds of mutation) and read each as icd reads weights");
        foreach (var o in new Option[] { count, seed, limit, work }) checkpoints.Options.Add(o);
        checkpoints.SetAction(parse =>
        {
            int n = parse.GetValue(count);
            if (n < 1) throw new ArgumentException($"--count {n}: expected at least 1");
            double seconds = parse.GetValue(limit);
            if (!(seconds > 0)) throw new ArgumentException($"--limit {seconds}: expected a positive number of seconds");
            string dir = parse.GetValue(work) ?? Directory.CreateTempSubdirectory("icd-fuzz-").FullName;
            int done = 0;
            var progress = new Progress<FuzzCase>(_ =>
            {
                if (++done % 100 == 0) Console.Error.WriteLine($"fuzz: {done}/{n}");
            });
            var report = FuzzRunner.Run(HostileFiles.Generate(parse.GetValue(seed), n), dir, TimeSpan.FromSeconds(seconds), progress);
            if (parse.GetValue(work) is null) Directory.Delete(dir, recursive: true);
            ModelOptions.PrintJson(new
            {
                files = report.Cases.Count,
                read = report.Count(FuzzOutcome.Read),
                refused = report.Count(FuzzOutcome.Refused),
                crashes = report.Count(FuzzOutcome.Crash),
                hangs = report.Count(FuzzOutcome.Hang),
                unnamed_errors = report.Count(FuzzOutcome.Unnamed),
                seconds = Math.Round(report.Seconds, 1),
                slowest_file_seconds = Math.Round(report.Cases.Max(c => c.Seconds), 2),
                peak_rss_mb = report.PeakRssBytes >> 20,
                by_kind = report.Cases.GroupBy(c => c.Mutation).ToDictionary(g => g.Key, g => new { read = g.Count(c => c.Outcome == FuzzOutcome.Read), refused = g.Count(c => c.Outcome == FuzzOutcome.Refused) }),
                failures = report.Failures.Take(20).Select(f => new { f.Mutation, outcome = f.Outcome.ToString(), f.Message }),
            });
            return report.Failures.Any() ? 1 : 0;
        });
        var fuzz = new Command("fuzz", "Robustness checks on hostile input");
        fuzz.Subcommands.Add(checkpoints);
        return fuzz;
    }
}
