using System.Globalization;
using Icd.Torch;

namespace Icd.Training;

/// <summary>
/// What a run folder may be used for (issue 37, items 8–10): <c>--resume</c> needs a checkpoint; a
/// folder that already holds a run's results is only continued or explicitly overwritten; a
/// checkpoint resumes only with the settings that keep the resume bit-exact; temporary files of
/// writers that died are removed.
/// </summary>
public static class RunFolder
{
    /// <summary>Files that mean the folder holds a run (a finished one writes its results beside them).</summary>
    private static readonly string[] RunFiles = ["checkpoint.safetensors", "log.csv"];

    /// <summary>Checks, before any model loads, that a run may start in <paramref name="directory"/>.</summary>
    public static void CheckStart(string directory, bool resume, bool overwrite)
    {
        string checkpoint = Path.Combine(directory, "checkpoint.safetensors");
        if (resume && overwrite) throw new ArgumentException("--resume and --overwrite contradict each other: continue the run, or start it over");
        if (File.Exists(directory)) throw new ArgumentException($"--out {directory}: is a file, not a run folder");
        if (resume && !File.Exists(checkpoint))
            throw new ArgumentException($"--resume: there is no {checkpoint} to continue from (is --out the run's folder? without --resume the run starts from step 0)");
        if (!resume && !overwrite && RunFiles.Select(f => Path.Combine(directory, f)).FirstOrDefault(File.Exists) is { } existing)
            throw new ArgumentException($"--out {directory} already holds a run ({Path.GetFileName(existing)}); pass --resume to continue it, or --overwrite to start over and replace its results");
    }

    /// <summary>Deletes <c>.NAME.PID.tmp</c> files (<see cref="Icd.Torch.Serialization.SafetensorsWriter"/>'s
    /// temporaries) whose writing process is gone: a kill during a checkpoint write leaves one, as
    /// large as the checkpoint. Returns how many were removed.</summary>
    public static int RemoveStaleTemporaries(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        int removed = 0;
        foreach (var path in Directory.EnumerateFiles(directory, ".*.tmp"))
        {
            var parts = Path.GetFileName(path).Split('.');
            // ".checkpoint.safetensors.1234.tmp" → ["", "checkpoint", "safetensors", "1234", "tmp"]
            if (parts.Length < 4 || !int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (pid == Environment.ProcessId || ProcessAlive(pid)) continue;
            try
            {
                File.Delete(path);
                removed++;
            }
            catch (IOException)
            {
                // Another process may be cleaning up too; what is left is harmless until next time.
            }
        }
        return removed;
    }

    private static bool ProcessAlive(int pid) =>
        OperatingSystem.IsLinux() ? Directory.Exists($"/proc/{pid}") : ProcessExists(pid);

    private static bool ProcessExists(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The run settings a checkpoint records: a resume with other values would not continue
    /// the same run (other batches, another data order, another learning rate). The number of steps
    /// and a final linear decay may change: a constant run's checkpoint is a valid start of a longer
    /// or cooled-down one (the Shapes build's teacher phase is cooled down that way).</summary>
    public static Dictionary<string, string> Settings(RunOptions options) => new(StringComparer.Ordinal)
    {
        [Prefix + "batch_size"] = options.BatchSize.ToString(CultureInfo.InvariantCulture),
        [Prefix + "gradient_accumulation"] = options.GradientAccumulation.ToString(CultureInfo.InvariantCulture),
        [Prefix + "learning_rate"] = options.LearningRate.ToString("R", CultureInfo.InvariantCulture),
        [Prefix + "warmup_steps"] = options.WarmupSteps.ToString(CultureInfo.InvariantCulture),
        [Prefix + "cosine_decay"] = options.CosineDecay ? "true" : "false",
        [Prefix + "seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
        [Prefix + "precision"] = options.MixedPrecision is { } mixed ? mixed.TorchName() : "float32",
    };

    /// <summary>Checkpoint metadata keys of the settings (beside the stage's "run/step" entry).</summary>
    private const string Prefix = "run/";

    /// <summary>Refuses to resume from <paramref name="checkpoint"/> with settings other than those it
    /// was saved with (checkpoints from before this record carry none and are accepted).</summary>
    public static void CheckSettings(string checkpoint, IReadOnlyDictionary<string, string> saved, RunOptions options)
    {
        var differences = Settings(options)
            .Where(kv => saved.TryGetValue(kv.Key, out var old) && old != kv.Value)
            .Select(kv => $"{kv.Key[Prefix.Length..]} {saved[kv.Key]} → {kv.Value}").ToList();
        if (differences.Count > 0)
            throw new ArgumentException($"{checkpoint} was saved with other settings ({string.Join(", ", differences)}); resume with the run's own settings, or start a new run (--overwrite)");
    }

    /// <summary>Refuses a checkpoint holding NaN or infinite values, naming the first such tensor.</summary>
    public static void CheckFinite(string checkpoint, IReadOnlyDictionary<string, Tensor> state)
    {
        foreach (var (key, tensor) in state.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (tensor.DType.IsFloatingPoint() && !tensor.AllFinite())
                throw new InvalidDataException($"{checkpoint}: tensor '{key}' holds NaN or infinite values; the checkpoint is corrupt (resume from an earlier copy, or start over with --overwrite)");
        }
    }
}
