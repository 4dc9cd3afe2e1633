using Icd.Torch;
using Icd.Torch.Optim;
using Icd.Training;

namespace Icd.Tests;

/// <summary><see cref="WeightAverage"/> and <see cref="RunOptions.EmaDecay"/>: numbers worked by hand.</summary>
public class WeightAverageTests
{
    // Decay 0.5 with the warm-up: d_0 = 1/10, d_1 = 2/11, d_2 = 3/12 (all below 0.5). From a = 0 with the
    // live weight 1, 2, 3 after steps 1, 2, 3:
    //   a1 = 0.1·0 + 0.9·1 = 0.9;  a2 = (2/11)·0.9 + (9/11)·2 = 1.8;  a3 = 0.25·1.8 + 0.75·3 = 2.7.
    private static readonly double[] AverageAfter = [0, 0.9, 1.8, 2.7];

    [Fact]
    public void FollowsTheWarmUpDecay()
    {
        Assert.Equal(0.1, WeightAverage.DecayAt(0.999, 0), 12);
        Assert.Equal(0.5, WeightAverage.DecayAt(0.5, 100), 12);
        using var p = Tensor.Zeros([2]);
        using var average = new WeightAverage([p], 0.5);
        for (int step = 1; step <= 3; step++)
        {
            p.Fill_(step);
            average.Update();
        }
        average.Swap();
        Assert.Equal([2.7f, 2.7f], p.ToArray<float>(), (a, b) => Math.Abs(a - b) < 1e-6);
        average.Swap();
        Assert.Equal(3f, p.ToArray<float>()[0]);
    }

    /// <summary>One trained scalar that step n sets to n + 1; it reports the value it found (the live
    /// weight, never the average) and validation reports the value it sees.</summary>
    private sealed class FillStage : ITrainingStage
    {
        private readonly Tensor _p = Tensor.Zeros([1]).RequiresGrad_().DetachFromScope();
        private readonly AdamW _optimizer;
        public FillStage() => _optimizer = new AdamW([_p], new AdamWOptions());
        public double Value => _p.Item();
        public string Name => "fill";
        public IReadOnlyList<AdamW> Optimizers => [_optimizer];

        public IReadOnlyDictionary<string, double> Step(long step)
        {
            double found = _p.Item();
            using (Autograd.NoGrad()) _p.Fill_(step + 1);
            return new Dictionary<string, double> { ["found"] = found };
        }

        public IReadOnlyDictionary<string, double> Validate() => new Dictionary<string, double> { ["seen"] = _p.Item() };
        public void SaveState(IDictionary<string, Tensor> into) => into["p"] = _p.Detach().Clone().DetachFromScope();
        public void LoadState(IReadOnlyDictionary<string, Tensor> from) { using (Autograd.NoGrad()) _p.Copy_(from["p"]); }
        public void Dispose() { _optimizer.Dispose(); _p.Dispose(); }
    }

    private static RunOptions Options(long steps) => new() { Steps = steps, CheckpointEvery = 1, LogEvery = 1, ValidateEvery = 1, EmaDecay = 0.5 };

    private static string[][] Log(TrainingRun run) => File.ReadAllLines(run.LogPath).Select(l => l.Split(',')).ToArray();

    [Fact]
    public void RunValidatesAndEndsInTheAverageWhileTrainingTheLiveWeights()
    {
        using var dir = new TempDir();
        using var stage = new FillStage();
        var run = new TrainingRun(dir.Path, Options(3));
        run.Run(stage, resume: false);
        Assert.Equal(2.7, stage.Value, 5);
        var log = Log(run);
        int found = Array.IndexOf(log[0], "found"), seen = Array.IndexOf(log[0], "seen");
        for (int step = 1; step <= 3; step++)
        {
            Assert.Equal(step - 1, double.Parse(log[step][found], System.Globalization.CultureInfo.InvariantCulture)); // each step starts from the live weight
            Assert.Equal(AverageAfter[step], double.Parse(log[step][seen], System.Globalization.CultureInfo.InvariantCulture), 5);
        }
    }

    [Fact]
    public void ResumedRunContinuesTheSameAverage()
    {
        using var dir = new TempDir();
        using (var first = new FillStage()) new TrainingRun(dir.Path, Options(2)).Run(first, resume: false);
        using var resumed = new FillStage();
        new TrainingRun(dir.Path, Options(3)).Run(resumed, resume: true);
        Assert.Equal(2.7, resumed.Value, 5);
        // A finished run resumed without the average ends in its last step's weights.
        using var raw = new FillStage();
        new TrainingRun(dir.Path, Options(3) with { EmaDecay = 0 }).Run(raw, resume: true);
        Assert.Equal(3, raw.Value);
    }

    [Fact]
    public void BadSettingsAreClearErrors()
    {
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => (Options(3) with { EmaDecay = 1 }).Validate());
        Assert.Equal("EmaDecay", range.ParamName);
        var both = Assert.Throws<ArgumentException>(() => (Options(3) with { SelectBy = "val" }).Validate());
        Assert.Contains("set one", both.Message);
        using var p = Tensor.Zeros([1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightAverage([p], 0));
    }
}
