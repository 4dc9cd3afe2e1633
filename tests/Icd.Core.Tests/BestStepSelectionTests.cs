using Icd.Torch;
using Icd.Training;

namespace Icd.Tests;

/// <summary><see cref="RunOptions.SelectBy"/>: the run ends in the state of its lowest validated step.</summary>
public class BestStepSelectionTests
{
    /// <summary>A stage whose state is the number of steps taken and whose validation metric is read
    /// from a table (entry i: after i steps), so the selected step is known by hand.</summary>
    private sealed class ScriptedStage(double[] metricAfterStep) : ITrainingStage
    {
        public long Taken { get; private set; }
        public string Name => "scripted";

        public IReadOnlyList<Icd.Torch.Optim.AdamW> Optimizers => [];

        public IReadOnlyDictionary<string, double> Step(long step)
        {
            Taken = step + 1;
            return new Dictionary<string, double> { ["loss"] = 1.0 / Taken };
        }

        public IReadOnlyDictionary<string, double> Validate() => new Dictionary<string, double> { ["val"] = metricAfterStep[Taken] };

        public void SaveState(IDictionary<string, Tensor> into) => into["taken"] = Tensor.FromValues(new[] { Taken }).DetachFromScope();

        public void LoadState(IReadOnlyDictionary<string, Tensor> from) => Taken = (long)from["taken"].Item();

        public void Dispose() { }
    }

    private static readonly double[] Metric = [7, 5, 3, 4, 1, 2, 6]; // lowest after step 4

    private static RunOptions Options(long steps) => new() { Steps = steps, CheckpointEvery = 1, LogEvery = 1, ValidateEvery = 1, SelectBy = "val" };

    [Fact]
    public void EndsInTheBestValidatedState()
    {
        using var dir = new TempDir();
        using var stage = new ScriptedStage(Metric);
        var run = new TrainingRun(dir.Path, Options(6));
        run.Run(stage, resume: false);
        Assert.Equal(4, stage.Taken);
        Assert.True(File.Exists(run.BestPath));
    }

    [Fact]
    public void TheLogStartsWithTheStartingStatesValidation()
    {
        using var dir = new TempDir();
        using var stage = new ScriptedStage(Metric);
        new TrainingRun(dir.Path, Options(2)).Run(stage, resume: false);
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "log.csv"));
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(["0", "1", "2"], rows.Select(r => r[0]));
        int val = Array.IndexOf(header, "val"), loss = Array.IndexOf(header, "loss");
        Assert.Equal(["7", "5", "3"], rows.Select(r => r[val])); // Metric[0], [1], [2]
        Assert.Equal("", rows[0][loss]); // no step taken yet: no loss
    }

    [Fact]
    public void WithoutSelectionEndsInTheLastState()
    {
        using var dir = new TempDir();
        using var stage = new ScriptedStage(Metric);
        new TrainingRun(dir.Path, Options(6) with { SelectBy = null }).Run(stage, resume: false);
        Assert.Equal(6, stage.Taken);
    }

    [Fact]
    public void ResumedRunRemembersTheBestBeforeTheStop()
    {
        using var dir = new TempDir();
        // Stopped after step 4 (the best), resumed to step 6: steps 5 and 6 are worse, so step 4 is restored.
        using (var first = new ScriptedStage(Metric)) new TrainingRun(dir.Path, Options(4)).Run(first, resume: false);
        using var resumed = new ScriptedStage(Metric);
        new TrainingRun(dir.Path, Options(6)).Run(resumed, resume: true);
        Assert.Equal(4, resumed.Taken);
    }

    [Fact]
    public void FreshRunForgetsAnEarlierRunsBest()
    {
        using var dir = new TempDir();
        using (var first = new ScriptedStage(Metric)) new TrainingRun(dir.Path, Options(6)).Run(first, resume: false);
        using var again = new ScriptedStage([10, 9, 8, 7]);
        new TrainingRun(dir.Path, Options(3)).Run(again, resume: false);
        Assert.Equal(3, again.Taken); // not step 4 of the earlier run (metric 1)
    }

    [Fact]
    public void UnknownMetricAndMissingValidationAreClearErrors()
    {
        using var dir = new TempDir();
        using var stage = new ScriptedStage(Metric);
        var e = Assert.Throws<InvalidOperationException>(() => new TrainingRun(dir.Path, Options(2) with { SelectBy = "val_psnr" }).Run(stage, resume: false));
        Assert.EndsWith("cannot select by 'val_psnr': validation reports val", e.Message);
        var a = Assert.Throws<ArgumentException>(() => (Options(2) with { ValidateEvery = 0 }).Validate());
        Assert.Contains("ValidateEvery", a.Message);
        Assert.Throws<ArgumentException>(() => (Options(2) with { SelectBy = "max:" }).Validate());
    }

    [Fact]
    public void TheStartingStateCompetes()
    {
        using var dir = new TempDir();
        using var stage = new ScriptedStage([0.5, 5, 3]);
        new TrainingRun(dir.Path, Options(2)).Run(stage, resume: false);
        Assert.Equal(0, stage.Taken);
    }

    [Fact]
    public void HigherIsBetterWithMax()
    {
        using var dir = new TempDir();
        using var stage = new ScriptedStage(Metric);
        new TrainingRun(dir.Path, Options(6) with { SelectBy = "max:val" }).Run(stage, resume: false);
        Assert.Equal(0, stage.Taken); // 7, the highest, is the starting state's
        using var late = new ScriptedStage([1, 2, 9, 3]);
        new TrainingRun(dir.Path, Options(3) with { SelectBy = "max:val" }).Run(late, resume: false);
        Assert.Equal(2, late.Taken);
    }

    [Fact]
    public void ResumingAFinishedRunEndsInItsBestAgain()
    {
        using var dir = new TempDir();
        using (var first = new ScriptedStage(Metric)) new TrainingRun(dir.Path, Options(6)).Run(first, resume: false);
        using var again = new ScriptedStage(Metric);
        new TrainingRun(dir.Path, Options(6)).Run(again, resume: true);
        Assert.Equal(4, again.Taken);
    }

    [Fact]
    public void ABestKeptForAnotherMetricIsDiscarded()
    {
        using var dir = new TempDir();
        using (var first = new ScriptedStage(Metric)) new TrainingRun(dir.Path, Options(4)).Run(first, resume: false); // best: step 4 (1)
        using var resumed = new ScriptedStage(Metric);
        new TrainingRun(dir.Path, Options(6) with { SelectBy = "max:val" }).Run(resumed, resume: true);
        Assert.Equal(6, resumed.Taken); // among steps 5 and 6 (2, 6), not the min-file's step 4
    }
}
