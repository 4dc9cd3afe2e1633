using System.Globalization;
using Icd.Checkpoints;
using Icd.Denoising;
using Icd.Lora;
using Icd.Torch;
using Icd.Torch.Distributed;
using Icd.Training;

namespace Icd.Tests;

/// <summary>
/// Data-parallel training on loopback, ranks as threads of this process: 2 ranks × 2 items against
/// 1 process × 4 items (teacher, guidance distillation, iCD distillation, cycle fine-tuning) give
/// the same logged losses (to 1e-6) and the same weights up to float32 rounding that Adam amplifies
/// where gradients are ~0 (measured 3e-4 to 9e-4 of the distance trained after 2–3 steps, bound
/// 5e-3; 1.4e-2 for the cycle's single step), since every rank draws the whole batch's data and
/// noise and computes its half; the ranks stay bit-identical; a rank that stops makes the other
/// fail within the timeout, and the checkpoint left behind resumes.
/// </summary>
public class DataParallelTests
{
    private static RunOptions Options(long steps) => new() { Steps = steps, BatchSize = 4, LearningRate = 1e-3, CheckpointEvery = 1, LogEvery = 1 };

    /// <summary>Runs <paramref name="train"/> as ranks 0..world−1, each on its own thread with its own model copy.</summary>
    private static Exception?[] Ranks(int world, TimeSpan timeout, Action<int> train)
    {
        int port = DistributedEnvironment.FreeLoopbackPort();
        var errors = new Exception?[world];
        var threads = Enumerable.Range(0, world).Select(rank => new Thread(() =>
        {
            try
            {
                using var parallel = new DataParallel(ProcessGroup.Join(new DistributedEnvironment(rank, world, rank, "127.0.0.1", port), timeout, "lo"));
                DataParallel.Current = parallel;
                train(rank);
            }
            catch (Exception e)
            {
                errors[rank] = e;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return errors;
    }

    private static List<double> Losses(string runFolder, string column = "loss")
    {
        var lines = File.ReadAllLines(Path.Combine(runFolder, "log.csv"));
        int index = lines[0].Split(',').ToList().IndexOf(column);
        Assert.True(index >= 0, $"log.csv has no '{column}' column");
        return lines.Skip(1).Select(l => double.Parse(l.Split(',')[index], CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>Every logged loss column of two runs, step by step.</summary>
    private static void AssertSameLosses(string one, string two, params string[] columns)
    {
        foreach (var column in columns)
        {
            var (expected, actual) = (Losses(one, column), Losses(two, column));
            Assert.Equal(expected.Count, actual.Count);
            for (int i = 0; i < expected.Count; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 * Math.Max(1, Math.Abs(expected[i])), $"{column} at row {i}: {expected[i]} vs {actual[i]}");
        }
    }

    private static Dictionary<string, float[]> Adapters(UNet2DConditionModel unet) =>
        new[] { IcdDistillationStage.Forward, IcdDistillationStage.Reverse }
            .SelectMany(a => UNetLora.Parameters(unet, a).Select((p, i) => ($"{a}/{i}", p.ToArray<float>())))
            .ToDictionary(p => p.Item1, p => p.Item2);

    private static Dictionary<string, float[]> Teacher(string folder, long steps, bool resume = false, CancellationToken ct = default)
    {
        using var net = StableDiffusionLoader.Load(Paths.TinySd);
        var data = TinyTeacherData.Batches(net, TinyTeacherData.Shapes());
        using var stage = new TeacherStage(net.UNet, data, net.Schedule, Options(steps));
        new TrainingRun(folder, Options(steps)).Run(stage, resume, ct: ct);
        return net.UNet.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
    }

    /// <summary>Adam divides by √v, so a parameter whose gradient is ~0 can step ±lr on float32
    /// rounding alone; weights are therefore compared as a whole: the distance between the two runs'
    /// weights against the distance they moved in training.</summary>
    private static void AssertClose(Dictionary<string, float[]> start, Dictionary<string, float[]> a, Dictionary<string, float[]> b, double bound)
    {
        double Distance(Dictionary<string, float[]> x, Dictionary<string, float[]> y) =>
            Math.Sqrt(x.Sum(kv => kv.Value.Zip(y[kv.Key]).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second))));
        double moved = Distance(start, a), apart = Distance(a, b);
        Assert.True(moved > 0, "training did not change the weights");
        Assert.True(apart <= bound * moved, $"the runs' weights are {apart:E2} apart after moving {moved:E2} ({apart / moved:E2} relative, bound {bound:E0})");
    }

    private static Dictionary<string, float[]> InitialTeacher()
    {
        using var net = StableDiffusionLoader.Load(Paths.TinySd);
        return net.UNet.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
    }

    [Fact]
    public void TeacherOnTwoRanksEqualsOneProcessWithTheWholeBatch()
    {
        using var dir = new TempDir();
        var single = Teacher(dir.File("one"), 3);
        var perRank = new Dictionary<string, float[]>[2];
        var errors = Ranks(2, TimeSpan.FromSeconds(60), rank => perRank[rank] = Teacher(dir.File("two"), 3));
        Assert.All(errors, e => Assert.Null(e));
        var expected = Losses(dir.File("one"));
        var actual = Losses(dir.File("two"));
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i], 1e-6);
        AssertClose(InitialTeacher(), single, perRank[0], 5e-3);
        Assert.All(perRank[0], kv => Assert.Equal(kv.Value, perRank[1][kv.Key]));   // the ranks stay identical bit for bit
    }

    [Fact]
    public void GuidanceDistillationOnTwoRanksEqualsOneProcess()
    {
        using var dir = new TempDir();
        Dictionary<string, float[]>? start = null;
        Dictionary<string, float[]> Run(string folder)
        {
            using var net = StableDiffusionLoader.Load(Paths.TinySd);
            var data = TinyTeacherData.Batches(net, TinyTeacherData.Shapes());
            using var plain = new UNet2DConditionModel(net.UNet.Config with { TimeCondProjDim = null });
            plain.LoadStateDict(new Icd.Torch.Nn.DictionarySource(net.UNet.StateDict().Where(kv => !kv.Key.Contains("cond_proj")).ToDictionary(kv => kv.Key, kv => kv.Value)));
            using var student = GuidanceDistillationStage.NewStudent(plain, 32);
            using var stage = new GuidanceDistillationStage(plain, student, data, net.Schedule, net.TextEncoder, net.Tokenizer, [0, 3], Options(2));
            start ??= student.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
            new TrainingRun(folder, Options(2)).Run(stage, false);
            return student.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
        }
        var single = Run(dir.File("one"));
        var perRank = new Dictionary<string, float[]>[2];
        Assert.All(Ranks(2, TimeSpan.FromSeconds(60), rank => perRank[rank] = Run(dir.File("two"))), e => Assert.Null(e));
        var (expected, actual) = (Losses(dir.File("one")), Losses(dir.File("two")));
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i], 1e-6);
        AssertClose(start!, single, perRank[0], 5e-3);
    }

    [Fact]
    public void IcdDistillationOnTwoRanksEqualsOneProcess()
    {
        using var dir = new TempDir();
        Dictionary<string, float[]>? start = null;
        Dictionary<string, float[]> Run(string folder)
        {
            using var net = StableDiffusionLoader.Load(Paths.TinySd);
            var data = TinyTeacherData.Batches(net, TinyTeacherData.Shapes());
            var options = new IcdDistillationOptions { Rank = 4, GuidanceSet = [0, 3] };
            IcdDistillationStage stage;
            using (Icd.Torch.Nn.Init.Seed(5)) stage = new IcdDistillationStage(net.UNet, data, net.Schedule, Options(2), options);
            using (stage)
            {
                start ??= Adapters(net.UNet);
                new TrainingRun(folder, Options(2)).Run(stage, false);
                return Adapters(net.UNet);
            }
        }
        var single = Run(dir.File("one"));
        var perRank = new Dictionary<string, float[]>[2];
        Assert.All(Ranks(2, TimeSpan.FromSeconds(60), rank => perRank[rank] = Run(dir.File("two"))), e => Assert.Null(e));
        AssertSameLosses(dir.File("one"), dir.File("two"), "reverse_cd", "forward_cd", "preserve_forward", "preserve_reverse");
        AssertClose(start!, single, perRank[0], 5e-3);
    }

    [Fact]
    public void CycleFineTuningOnTwoRanksEqualsOneProcess()
    {
        using var dir = new TempDir();
        Dictionary<string, float[]>? start = null;
        Dictionary<string, float[]> Run(string folder)
        {
            using var net = StableDiffusionLoader.Load(Paths.TinySd);
            using (Icd.Torch.Nn.Init.Seed(6))
            {
                UNetLora.CreateTrainable(net.UNet, IcdDistillationStage.Forward, Icd.Lora.LoraTargets.Icd, 4, 0.5);
                UNetLora.CreateTrainable(net.UNet, IcdDistillationStage.Reverse, Icd.Lora.LoraTargets.Icd, 4, 0.5);
            }
            net.Vae.SetRequiresGrad(false);
            Icd.Metrics.ImageEncoder encoder;
            using (Icd.Torch.Nn.Init.Seed(7)) encoder = new Icd.Metrics.ImageEncoder([8, 16], 8);
            encoder.SetRequiresGrad(false);
            using var lpips = Icd.Metrics.Lpips.OverEncoder(encoder, encoder);
            var data = TinyTeacherData.Batches(net, TinyTeacherData.Shapes());
            var options = IcdDistillationOptions.CycleFineTuning(4, 0.5) with { Rank = 4 };
            var run = Options(1) with { BatchSize = 2 };
            using var stage = new IcdDistillationStage(net.UNet, data, net.Schedule, run, options, createAdapters: false, cycle: new CycleContext(net.Vae, lpips));
            start ??= Adapters(net.UNet);
            new TrainingRun(folder, run).Run(stage, false);
            return Adapters(net.UNet);
        }
        var single = Run(dir.File("one"));
        var perRank = new Dictionary<string, float[]>[2];
        Assert.All(Ranks(2, TimeSpan.FromSeconds(60), rank => perRank[rank] = Run(dir.File("two"))), e => Assert.Null(e));
        AssertSameLosses(dir.File("one"), dir.File("two"), "cycle", "forward_cd", "preserve_forward");
        // One step of three Adam updates from fresh moments: each is ±lr per element wherever the
        // gradient is not ~0, so rounding-level gradient differences weigh most here (measured 1.4e-2).
        AssertClose(start!, single, perRank[0], 3e-2);
    }

    /// <summary>Ranks started with different models are stopped before training, with the reason.</summary>
    [Fact]
    public void RanksWithDifferentModelsAreRefused()
    {
        var errors = Ranks(2, TimeSpan.FromSeconds(30), rank =>
        {
            using var scope = new TensorScope();
            var parameters = new List<(string, Tensor)> { ("w", Tensor.Zeros([rank == 0 ? 3 : 4])) };
            DataParallel.Current!.Synchronize(parameters);
        });
        Assert.All(errors, e => Assert.Contains("rank 1 built a different model than rank 0", Assert.IsType<DistributedException>(e).Message));
    }

    /// <summary>Rank 1 stops after its first step: rank 0 fails at the next all-reduce within the
    /// timeout, naming itself; the checkpoint of step 1 is whole and one process resumes it to the
    /// same end as an uninterrupted run.</summary>
    [Fact]
    public void AStoppedRankStopsTheOtherAndTheRunResumes()
    {
        using var dir = new TempDir();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var errors = Ranks(2, TimeSpan.FromSeconds(5), rank =>
        {
            using var stop = new CancellationTokenSource();
            if (rank == 1)
            {
                // Cancelled once step 1's checkpoint exists: the next step never starts on this rank.
                var watcher = new Thread(() => { while (!File.Exists(Path.Combine(dir.File("run"), "log.csv"))) Thread.Sleep(20); stop.Cancel(); });
                watcher.Start();
            }
            Teacher(dir.File("run"), 4, ct: stop.Token);
        });
        Assert.IsType<OperationCanceledException>(errors[1]);
        var failure = Assert.IsType<DistributedException>(errors[0]);
        Assert.Contains("rank 0 of 2", failure.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"took {sw.Elapsed}");

        var resumed = Teacher(dir.File("run"), 4, resume: true);
        var straight = Teacher(dir.File("straight"), 4);
        AssertClose(InitialTeacher(), straight, resumed, 5e-3);
    }
}
