using System.Diagnostics;
using Icd.Torch;
using Icd.Torch.Serialization;
using Icd.Training;

namespace Icd.Tests;

/// <summary>Issue 37, items 8–10: a run folder's results are never lost to a mistyped or repeated
/// command, a broken checkpoint or log says so by name, and dead writers' temporaries are removed.</summary>
public class RunFolderTests
{
    private static RunOptions Run(long steps) => new() { Steps = steps, BatchSize = 2, LearningRate = 1e-3, CheckpointEvery = 2, LogEvery = 1 };

    private static void Train(string folder, RunOptions run, bool resume)
    {
        using var stage = new TrainingTests.RateRecordingStage();
        new TrainingRun(folder, run).Run(stage, resume);
    }

    [Fact]
    public void ResumeWithoutACheckpointAndRestartingOverAFinishedRunAreRefused()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var e = Assert.Throws<ArgumentException>(() => RunFolder.CheckStart(run, resume: true, overwrite: false));
        Assert.Contains("--resume: there is no", e.Message);
        RunFolder.CheckStart(run, resume: false, overwrite: false); // a new folder is fine
        Train(run, Run(4), resume: false);
        var log = File.ReadAllText(Path.Combine(run, "log.csv"));
        e = Assert.Throws<ArgumentException>(() => RunFolder.CheckStart(run, resume: false, overwrite: false));
        Assert.Contains("already holds a run", e.Message);
        Assert.Contains("--overwrite", e.Message);
        Assert.Equal(log, File.ReadAllText(Path.Combine(run, "log.csv"))); // untouched
        RunFolder.CheckStart(run, resume: true, overwrite: false);
        RunFolder.CheckStart(run, resume: false, overwrite: true);
        Assert.Throws<ArgumentException>(() => RunFolder.CheckStart(run, resume: true, overwrite: true));
    }

    [Fact]
    public void GarbageLogIsNamedOnResume()
    {
        using var dir = new TempDir();
        Train(dir.Path, Run(4), resume: false);
        File.WriteAllText(Path.Combine(dir.Path, "log.csv"), "step,seconds,loss\n1,0.1,1\nnot,a,row\n");
        var e = Assert.Throws<InvalidDataException>(() => Train(dir.Path, Run(6), resume: true));
        Assert.Contains("log.csv:3", e.Message);
        File.WriteAllText(Path.Combine(dir.Path, "log.csv"), "\u0000\u0001garbage");
        e = Assert.Throws<InvalidDataException>(() => Train(dir.Path, Run(6), resume: true));
        Assert.Contains("not a training log", e.Message);
    }

    [Fact]
    public void CheckpointWithNonFiniteValuesIsNamed()
    {
        using var dir = new TempDir();
        Train(dir.Path, Run(2), resume: false);
        string checkpoint = Path.Combine(dir.Path, "checkpoint.safetensors");
        Dictionary<string, Tensor> state;
        IReadOnlyDictionary<string, string> metadata;
        using (var file = SafetensorsFile.Open(checkpoint))
        {
            state = file.LoadAll().ToDictionary();
            metadata = file.Metadata;
        }
        state["w"].Fill_(double.NaN);
        SafetensorsWriter.Write(checkpoint, state, metadata.ToDictionary());
        foreach (var t in state.Values) t.Dispose();
        var e = Assert.Throws<InvalidDataException>(() => Train(dir.Path, Run(4), resume: true));
        Assert.Contains("tensor 'w' holds NaN or infinite values", e.Message);
        Assert.Contains(checkpoint, e.Message);
    }

    [Fact]
    public void ResumeWithOtherSettingsIsRefused()
    {
        using var dir = new TempDir();
        Train(dir.Path, Run(2), resume: false);
        var e = Assert.Throws<ArgumentException>(() => Train(dir.Path, Run(4) with { BatchSize = 3, LearningRate = 2e-3 }, resume: true));
        Assert.Contains("batch_size 2 → 3", e.Message);
        Assert.Contains("learning_rate 0.001 → 0.002", e.Message);
        Train(dir.Path, Run(4), resume: true); // more steps with the same settings continue the run
    }

    [Fact]
    public void TemporariesOfDeadWritersAreRemovedWhenARunStarts()
    {
        using var dir = new TempDir();
        int dead;
        using (var p = Process.Start("true")!)
        {
            p.WaitForExit();
            dead = p.Id;
        }
        string stale = dir.File($".checkpoint.safetensors.{dead}.tmp");
        string live = dir.File($".best.safetensors.{Environment.ProcessId}.tmp"); // this process: alive
        string other = dir.File("notes.tmp");
        foreach (var f in new[] { stale, live, other }) File.WriteAllText(f, "x");
        Train(dir.Path, Run(2), resume: false);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(other));
    }
}
