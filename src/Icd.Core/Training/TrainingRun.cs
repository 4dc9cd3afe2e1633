using System.Diagnostics;
using System.Globalization;
using Icd.Metrics;
using Icd.Torch;
using Icd.Torch.Optim;
using Icd.Torch.Serialization;

namespace Icd.Training;

/// <summary>Settings every training stage shares.</summary>
public sealed record RunOptions
{
    public long Steps { get; init; } = 1000;
    public int BatchSize { get; init; } = 8;
    public double LearningRate { get; init; } = 1e-4;
    public double WeightDecay { get; init; }
    public double GradClip { get; init; } = 1.0;
    public int GradientAccumulation { get; init; } = 1;
    public long WarmupSteps { get; init; }
    /// <summary>Cosine decay to 0 at <see cref="Steps"/> after the warm-up (otherwise constant, the iCD
    /// scripts' choice). Decay matters for from-scratch stages (VAE, teacher) that stop early.</summary>
    public bool CosineDecay { get; init; }
    /// <summary>Without <see cref="CosineDecay"/>: the learning rate falls linearly to 0 over the last
    /// this many steps (<see cref="LearningRateSchedules.WarmupStableDecay"/>); 0: constant to the end.</summary>
    public long DecaySteps { get; init; }
    /// <summary>Mixed precision: each step's forward and backward under autocast to this dtype
    /// (bf16 on CPUs with AVX512_BF16 or AMX), with float32 master weights and optimizer state;
    /// null: float32 throughout. A resume keeps the run's own precision, and continues it bit-exactly.</summary>
    public DType? MixedPrecision { get; init; }

    /// <summary><c>fp32</c> (null) or <c>bf16</c>, as <c>--precision</c> takes it.</summary>
    public static DType? ParsePrecision(string text, string what) => text switch
    {
        "fp32" or "float32" => null,
        "bf16" or "bfloat16" => DType.BFloat16,
        _ => throw new ArgumentException($"{what} '{text}': expected fp32 or bf16"),
    };

    /// <summary>The scope one step runs in: autocast to <see cref="MixedPrecision"/>, or none.</summary>
    public IDisposable? MixedPrecisionScope() => MixedPrecision is { } dtype ? Autograd.Autocast(dtype) : null;
    /// <summary>Activation checkpointing of the trained UNet's resnet and transformer blocks.</summary>
    public bool GradientCheckpointing { get; init; }
    public long CheckpointEvery { get; init; } = 500;
    public long LogEvery { get; init; } = 10;
    public long ValidateEvery { get; init; }
    /// <summary>A validation column, lower is better ("max:NAME" for higher is better, e.g.
    /// "max:val_psnr"): the run ends in the state of its best validated step, the starting state
    /// included, instead of its last (held-out model selection); null: the last step.</summary>
    public string? SelectBy { get; init; }

    /// <summary>Above 0: keep an exponential moving average of the trained weights with this decay
    /// (<see cref="WeightAverage"/>); validation scores it and the run ends in it, the weights a stage
    /// then exports. 0: the last step's weights.</summary>
    public double EmaDecay { get; init; }

    /// <summary><see cref="SelectBy"/> split into the column name and whether higher is better.</summary>
    public (string Column, bool Higher) Selection =>
        SelectBy is null ? throw new InvalidOperationException("no SelectBy set")
        : SelectBy.StartsWith("max:", StringComparison.Ordinal) ? (SelectBy[4..], true)
        : (SelectBy.StartsWith("min:", StringComparison.Ordinal) ? SelectBy[4..] : SelectBy, false);
    public ulong Seed { get; init; } = 453645634; // the reference scripts' seed

    public RunOptions Validate()
    {
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "must be ≥ 1");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be ≥ 1");
        if (GradientAccumulation < 1) throw new ArgumentOutOfRangeException(nameof(GradientAccumulation), GradientAccumulation, "must be ≥ 1");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be > 0");
        if (CheckpointEvery < 1) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, "must be ≥ 1");
        if (LogEvery < 1) throw new ArgumentOutOfRangeException(nameof(LogEvery), LogEvery, "must be ≥ 1");
        if (WarmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, "must be ≥ 0");
        if (DecaySteps < 0 || DecaySteps > Steps) throw new ArgumentOutOfRangeException(nameof(DecaySteps), DecaySteps, $"must be in [0, Steps = {Steps}]");
        if (DecaySteps > 0 && CosineDecay) throw new ArgumentException($"a linear decay over the last {DecaySteps} steps and a cosine decay are two schedules: set one", nameof(DecaySteps));
        if (ValidateEvery < 0) throw new ArgumentOutOfRangeException(nameof(ValidateEvery), ValidateEvery, "must be ≥ 0 (0: no validation)");
        if (SelectBy is not null && string.IsNullOrWhiteSpace(Selection.Column))
            throw new ArgumentException($"'{SelectBy}' names no validation column", nameof(SelectBy));
        if (SelectBy is not null && ValidateEvery == 0)
            throw new ArgumentException($"selecting by '{SelectBy}' needs validation: set ValidateEvery > 0", nameof(SelectBy));
        if (MixedPrecision is { } mp && mp != DType.BFloat16)
            throw new ArgumentException($"mixed precision in {mp.TorchName()} is not available here: bf16 needs no loss scaling, fp16 needs CUDA and a dynamic loss scaler, which this CPU-only build does not have", nameof(MixedPrecision));
        if (!(EmaDecay is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(EmaDecay), EmaDecay, "must be in [0, 1) (0: no weight average)");
        if (SelectBy is not null && EmaDecay > 0)
            throw new ArgumentException($"selecting a step by '{SelectBy}' and ending in the weight average (EmaDecay {EmaDecay}) are two answers to one question: set one", nameof(SelectBy));
        return this;
    }

    public LearningRateSchedule Schedule() => CosineDecay
        ? LearningRateSchedules.Cosine(LearningRate, WarmupSteps, Steps)
        : LearningRateSchedules.WarmupStableDecay(LearningRate, WarmupSteps, Steps, DecaySteps);
}

/// <summary>Reported after each step.</summary>
public sealed record TrainProgress(string Stage, long Step, long TotalSteps, IReadOnlyDictionary<string, double> Losses, double StepsPerSecond, TimeSpan Eta);

/// <summary>
/// A training method, written as one readable step (nanoGPT style): it owns its models'
/// trainable tensors, optimizers and random generators, and can save and restore all of it.
/// </summary>
public interface ITrainingStage : IDisposable
{
    string Name { get; }

    /// <summary>One optimisation step (all of this method's optimizer steps for one batch); returns named losses.</summary>
    IReadOnlyDictionary<string, double> Step(long step);

    /// <summary>Every optimizer the stage steps. <see cref="TrainingRun"/> sets their learning rate from
    /// the run's schedule before each step, so no stage can forget to (three once did).</summary>
    IReadOnlyList<AdamW> Optimizers { get; }

    /// <summary>Everything needed to continue bit-exactly: trainable tensors, optimizer state, RNG states.</summary>
    void SaveState(IDictionary<string, Tensor> into);

    void LoadState(IReadOnlyDictionary<string, Tensor> from);

    /// <summary>Optional validation (e.g. reconstruction PSNR of a held-out batch).</summary>
    IReadOnlyDictionary<string, double> Validate() => new Dictionary<string, double>();
}

/// <summary>
/// Runs a stage in a run folder: <c>checkpoint.safetensors</c> written atomically every N steps
/// (state + step), <c>log.csv</c> (one row per logged step), <c>loss.svg</c>. Resuming loads the
/// checkpoint and continues at the next step with identical random streams, so an interrupted and
/// resumed run logs the same losses as an uninterrupted one. With <see cref="RunOptions.SelectBy"/>
/// the best validated state is kept in <c>best.safetensors</c> and restored when the run ends; with
/// <see cref="RunOptions.EmaDecay"/> the weight average is checkpointed beside the state and the run ends in it.
/// </summary>
public sealed class TrainingRun(string directory, RunOptions options)
{
    public string Directory { get; } = directory;
    public string CheckpointPath => Path.Combine(Directory, "checkpoint.safetensors");
    public string LogPath => Path.Combine(Directory, "log.csv");
    public string BestPath => Path.Combine(Directory, "best.safetensors");

    public long Run(ITrainingStage stage, bool resume, IProgress<TrainProgress>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        var parallel = DataParallel.Current;
        if (parallel is not null && stage is not IDataParallelStage)
            throw new NotSupportedException($"the {stage.Name} stage does not run data-parallel; start it as one process");
        if (parallel is not null && options.BatchSize % parallel.WorldSize != 0)
            throw new ArgumentException($"--batch-size {options.BatchSize} (the global batch) must split evenly over the {parallel.WorldSize} processes");
        bool main = parallel is null || parallel.Rank == 0;
        if (parallel is not null && options.SelectBy is not null)
            throw new ArgumentException($"selecting the best validated step ({options.SelectBy}) is not available in a data-parallel run yet; use the weight average or the last step");
        System.IO.Directory.CreateDirectory(Directory);
        if (main) RunFolder.RemoveStaleTemporaries(Directory);
        parallel?.Group.Barrier();
        using var average = options.EmaDecay > 0 ? new WeightAverage(stage.Optimizers.SelectMany(o => o.ParameterList), options.EmaDecay) : null;
        long start = 0;
        if (resume && File.Exists(CheckpointPath))
        {
            start = Restore(stage, CheckpointPath, average, options);
            TruncateLog(start);
        }
        else if (main)
        {
            foreach (var stale in new[] { LogPath, BestPath })
                if (File.Exists(stale)) File.Delete(stale);
        }
        // Every rank starts from rank 0's weights (after a resume too), and has built the same model.
        parallel?.Synchronize(stage.Optimizers.SelectMany(o => o.ParameterList).Select((p, i) => ($"{i}", p)).ToList());
        var best = BestSoFar();
        if (options.SelectBy is not null && start == 0)
        {
            // The starting state competes too, and its row in the log is what the curve starts from.
            var initial = stage.Validate();
            best = KeepIfBest(stage, 0, initial, best);
            AppendLog(0, initial, 0);
        }
        var sw = Stopwatch.StartNew();
        var schedule = options.Schedule();
        long done = 0;
        for (long step = start; step < options.Steps; step++)
        {
            ct.ThrowIfCancellationRequested();
            double lr = schedule(step);
            foreach (var optimizer in stage.Optimizers) optimizer.LearningRate = lr;
            IReadOnlyDictionary<string, double> losses;
            using (new TensorScope())
            using (options.MixedPrecisionScope())
                losses = stage.Step(step);
            if (parallel is not null) losses = parallel.Average(losses);
            foreach (var (name, value) in losses)
            {
                if (!double.IsFinite(value)) throw new InvalidOperationException($"{stage.Name}: loss '{name}' is {value} at step {step}; lower the learning rate or check the data");
            }
            done++;
            average?.Update();
            var all = new Dictionary<string, double>(losses) { ["lr"] = lr };
            if (options.ValidateEvery > 0 && (step + 1) % options.ValidateEvery == 0)
            {
                var validated = Validate(stage, average);
                foreach (var (k, v) in validated) all[k] = v;
                if (options.SelectBy is not null) best = KeepIfBest(stage, step + 1, validated, best);
            }
            if (main && ((step + 1) % options.LogEvery == 0 || step + 1 == options.Steps)) AppendLog(step + 1, all, sw.Elapsed.TotalSeconds);
            if (main && ((step + 1) % options.CheckpointEvery == 0 || step + 1 == options.Steps)) SaveCheckpoint(stage, step + 1, average);
            double rate = done / Math.Max(sw.Elapsed.TotalSeconds, 1e-9);
            progress?.Report(new TrainProgress(stage.Name, step + 1, options.Steps, all, rate, TimeSpan.FromSeconds((options.Steps - step - 1) / Math.Max(rate, 1e-9))));
        }
        if (main) WritePlot(stage.Name);
        parallel?.Group.Barrier();   // rank 0's files are complete before any rank goes on
        if (options.SelectBy is not null && File.Exists(BestPath)) Restore(stage, BestPath, null, null);
        average?.Swap(); // the run ends in the average; the last step's weights stay in the checkpoint
        return done;
    }

    /// <summary>The stage's validation, of the weight average when there is one.</summary>
    private static IReadOnlyDictionary<string, double> Validate(ITrainingStage stage, WeightAverage? average)
    {
        if (average is null) return stage.Validate();
        average.Swap();
        try { return stage.Validate(); }
        finally { average.Swap(); }
    }

    /// <summary>The best selection score so far (value, negated when higher is better), from
    /// <c>best.safetensors</c> when resuming; a file kept for another metric is discarded.</summary>
    private double BestSoFar()
    {
        if (options.SelectBy is null || !File.Exists(BestPath)) return double.PositiveInfinity;
        using (var file = SafetensorsFile.Open(BestPath))
        {
            if (file.Metadata.TryGetValue("select_by", out var by) && by == options.SelectBy && file.Metadata.TryGetValue("score", out var v))
                return double.Parse(v, CultureInfo.InvariantCulture);
        }
        File.Delete(BestPath);
        return double.PositiveInfinity;
    }

    private double KeepIfBest(ITrainingStage stage, long step, IReadOnlyDictionary<string, double> validated, double best)
    {
        var (column, higher) = options.Selection;
        if (!validated.TryGetValue(column, out double value))
            throw new InvalidOperationException($"{stage.Name}: cannot select by '{column}': validation reports {(validated.Count == 0 ? "nothing" : string.Join(", ", validated.Keys.Order(StringComparer.Ordinal)))}");
        double score = higher ? -value : value;
        if (!(score < best)) return best;
        WriteState(stage, step, BestPath, new Dictionary<string, string>
        {
            ["select_by"] = options.SelectBy!, ["value"] = value.ToString("R", CultureInfo.InvariantCulture), ["score"] = score.ToString("R", CultureInfo.InvariantCulture),
        });
        return score;
    }

    /// <summary>Loads a saved state into the stage; returns the step it was saved at. With
    /// <paramref name="resuming"/>, the run's settings must be the ones the state was saved with.</summary>
    private static long Restore(ITrainingStage stage, string path, WeightAverage? average, RunOptions? resuming)
    {
        using var file = SafetensorsFile.Open(path);
        if (resuming is not null) RunFolder.CheckSettings(path, file.Metadata, resuming);
        var state = file.LoadAll();
        try
        {
            RunFolder.CheckFinite(path, state);
            if (!state.TryGetValue("run/step", out var step)) throw new InvalidDataException($"{path}: no 'run/step' entry; not a training checkpoint");
            try
            {
                stage.LoadState(state);
                average?.Load(state, AveragePrefix);
            }
            catch (Exception e) when (e is TorchException or KeyNotFoundException or InvalidOperationException or ArgumentException)
            {
                throw new InvalidDataException($"{path}: cannot restore the {stage.Name} stage from it ({e.Message})", e);
            }
            return (long)step.Item();
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    private const string AveragePrefix = "ema/";

    private void SaveCheckpoint(ITrainingStage stage, long step, WeightAverage? average) =>
        WriteState(stage, step, CheckpointPath, RunFolder.Settings(options), average);

    private static void WriteState(ITrainingStage stage, long step, string path, Dictionary<string, string> metadata, WeightAverage? average = null)
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            stage.SaveState(state);
            average?.Save(state, AveragePrefix);
            state["run/step"] = Tensor.FromValues(new[] { step }).DetachFromScope();
            metadata["stage"] = stage.Name;
            metadata["step"] = step.ToString(CultureInfo.InvariantCulture);
            SafetensorsWriter.Write(path, state, metadata);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    private List<string>? _columns;

    private void AppendLog(long step, IReadOnlyDictionary<string, double> values, double seconds)
    {
        bool header = !File.Exists(LogPath);
        if (header) _columns = values.Keys.Order(StringComparer.Ordinal).ToList();
        _columns ??= File.ReadLines(LogPath).First().Split(',').Skip(2).ToList();
        var added = values.Keys.Where(k => !_columns.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (added.Count > 0) WidenLog(added); // e.g. validation metrics, first reported after some rows
        using var w = new StreamWriter(LogPath, append: true);
        if (header) w.WriteLine("step,seconds," + string.Join(",", _columns));
        w.WriteLine(string.Join(",", new[] { step.ToString(CultureInfo.InvariantCulture), seconds.ToString("F3", CultureInfo.InvariantCulture) }
            .Concat(_columns.Select(c => values.TryGetValue(c, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : ""))));
    }

    /// <summary>Adds columns to the log: a new header, earlier rows padded with empty cells (atomic rewrite).</summary>
    private void WidenLog(List<string> added)
    {
        _columns!.AddRange(added);
        var lines = File.ReadAllLines(LogPath);
        string pad = new(',', added.Count);
        var rewritten = new[] { "step,seconds," + string.Join(",", _columns) }.Concat(lines.Skip(1).Select(l => l + pad));
        string temp = LogPath + ".tmp";
        File.WriteAllLines(temp, rewritten);
        File.Move(temp, LogPath, overwrite: true);
    }

    /// <summary>Drops log rows past the checkpoint being resumed from (they will be logged again).</summary>
    private void TruncateLog(long step)
    {
        if (!File.Exists(LogPath)) return;
        var lines = File.ReadAllLines(LogPath);
        if (lines.Length == 0 || !lines[0].StartsWith("step,seconds", StringComparison.Ordinal))
            throw new InvalidDataException($"{LogPath}: not a training log (its first line is not 'step,seconds,…'); move it away to resume");
        long RowStep(int i) => long.TryParse(lines[i].Split(',')[0], NumberStyles.None, CultureInfo.InvariantCulture, out long s) ? s
            : throw new InvalidDataException($"{LogPath}:{i + 1}: '{lines[i]}' is not a log row; move the file away to resume");
        var kept = lines.Take(1).Concat(Enumerable.Range(1, lines.Length - 1).Where(i => RowStep(i) <= step).Select(i => lines[i]));
        Icd.Imaging.AtomicFile.WriteAllLines(LogPath, kept);
    }

    private void WritePlot(string title)
    {
        if (!File.Exists(LogPath)) return;
        var lines = File.ReadAllLines(LogPath);
        var columns = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        var series = new Dictionary<string, List<(double X, double Y)>>();
        for (int c = 2; c < columns.Length; c++)
        {
            series[columns[c]] = rows.Where(r => c < r.Length && r[c].Length > 0)
                .Select(r => (double.Parse(r[0], CultureInfo.InvariantCulture), double.Parse(r[c], CultureInfo.InvariantCulture))).ToList();
        }
        SvgPlot.Write(Path.Combine(Directory, "loss.svg"), $"{title}: losses", "step", series, logY: true);
    }
}
