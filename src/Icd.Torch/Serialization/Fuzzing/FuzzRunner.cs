using System.Diagnostics;

namespace Icd.Torch.Serialization.Fuzzing;

/// <summary>How one file fared: read (benign mutation), refused with a named error, or a failure.</summary>
public enum FuzzOutcome
{
    Read,
    Refused,
    /// <summary>An exception other than the format exceptions escaped.</summary>
    Crash,
    /// <summary>Opening and reading took longer than the time limit.</summary>
    Hang,
    /// <summary>Refused, but the message does not name the file.</summary>
    Unnamed,
}

public sealed record FuzzCase(string File, string Mutation, FuzzOutcome Outcome, double Seconds, string? Message);

public sealed record FuzzReport(IReadOnlyList<FuzzCase> Cases, double Seconds, long PeakRssBytes)
{
    public int Count(FuzzOutcome outcome) => Cases.Count(c => c.Outcome == outcome);

    public IEnumerable<FuzzCase> Failures => Cases.Where(c => c.Outcome is FuzzOutcome.Crash or FuzzOutcome.Hang or FuzzOutcome.Unnamed);
}

/// <summary>
/// Reads each hostile file the way icd reads weights (safetensors: open and load every tensor;
/// torch.save: open, flatten and load every tensor) and classifies what happened. A file is
/// written to <c>directory</c>, read, and deleted.
/// </summary>
public static class FuzzRunner
{
    public static FuzzReport Run(IEnumerable<HostileFile> files, string directory, TimeSpan limit, IProgress<FuzzCase>? progress = null)
    {
        Directory.CreateDirectory(directory);
        var cases = new List<FuzzCase>();
        var total = Stopwatch.StartNew();
        foreach (var file in files)
        {
            string path = Path.Combine(directory, file.Name + file.Extension);
            File.WriteAllBytes(path, file.Bytes);
            var sw = Stopwatch.StartNew();
            var work = Task.Run(() => Read(path));
            FuzzCase result;
            if (!work.Wait(limit))
            {
                result = new FuzzCase(path, file.Mutation, FuzzOutcome.Hang, sw.Elapsed.TotalSeconds, $"still reading after {limit.TotalSeconds:F0} s");
                work.Wait(); // a hang here is a finding; waiting keeps the files apart
            }
            else
            {
                var error = work.Result;
                var outcome = error switch
                {
                    null => FuzzOutcome.Read,
                    CheckpointFormatException or SafetensorsFormatException when !error.Message.Contains(path, StringComparison.Ordinal) => FuzzOutcome.Unnamed,
                    CheckpointFormatException or SafetensorsFormatException => FuzzOutcome.Refused,
                    _ => FuzzOutcome.Crash,
                };
                result = new FuzzCase(path, file.Mutation, outcome, sw.Elapsed.TotalSeconds, error is null ? null : $"{error.GetType().Name}: {error.Message}");
            }
            File.Delete(path);
            cases.Add(result);
            progress?.Report(result);
        }
        return new FuzzReport(cases, total.Elapsed.TotalSeconds, PeakRss());
    }

    /// <summary>Reads every tensor of the file; returns the exception that stopped it, if any.</summary>
    private static Exception? Read(string path)
    {
        try
        {
            using var scope = new TensorScope();
            if (path.EndsWith(".safetensors", StringComparison.Ordinal))
            {
                using var file = SafetensorsFile.Open(path);
                foreach (var name in file.Names) file.Load(name).Dispose();
            }
            else
            {
                using var checkpoint = TorchCheckpoint.Open(path);
                foreach (var name in checkpoint.Names.ToList()) checkpoint.Load(name).Dispose();
            }
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>VmHWM of this process (Linux), 0 elsewhere.</summary>
    public static long PeakRss()
    {
        if (!File.Exists("/proc/self/status")) return 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }
}
