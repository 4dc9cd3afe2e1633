using Icd.Checkpoints;
using Icd.Denoising;
using Icd.Imaging;
using Icd.Lora;
using Icd.Sampling;
using Icd.Torch;
using Icd.Torch.Optim;
using Icd.Training;

namespace Icd.Tests;

/// <summary>Losses and target bookkeeping against hand-computed values; a few steps of each stage
/// on the tiny model; what trains and what stays frozen; kill-and-resume equality.</summary>
public class TrainingTests
{
    private sealed class Squares : IImageCaptionSource
    {
        public long Count => 12;

        public (RgbImage Image, string Caption) Get(long index)
        {
            var img = RgbImage.Blank(32, 32, 255, 255, 255);
            int x0 = (int)(index % 4) * 8, y0 = (int)(index / 4) * 8;
            for (int y = y0; y < y0 + 10 && y < 32; y++)
                for (int x = x0; x < x0 + 10 && x < 32; x++) img[x, y] = (200, 30, 30);
            return (img, $"a red square number {index}");
        }
    }

    [Fact]
    public void PseudoHuberByHand()
    {
        using var scope = new TensorScope();
        var a = Tensor.FromArray(new double[] { 0, 3 });
        var b = Tensor.FromArray(new double[] { 0, 4 });
        double c = 0.001;
        double expected = (0 + (Math.Sqrt(1 + c * c) - c)) / 2;
        Assert.Equal(expected, Losses.PseudoHuber(a, b, c).Item(), 12);
    }

    [Fact]
    public void MinSnrWeightsByHand()
    {
        // SD's schedule: ᾱ_0 = 1 − β_0 = 0.99915, SNR 1175.47 → weight 5/1175.47; at t = 999 SNR is 0.0047 < γ → 1.
        var w = Losses.MinSnrWeights(NoiseSchedule.StableDiffusion, [0, 999], 5);
        Assert.Equal(5 / (0.99915 / 0.00085), w[0], 5);
        Assert.Equal(1.0, w[1], 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.MinSnrWeights(NoiseSchedule.StableDiffusion, [0], 0));
    }

    [Fact]
    public void WeightedMseByHand()
    {
        using var scope = new TensorScope();
        var prediction = Tensor.FromArray(new double[] { 0, 0, 1, 3 }).Reshape(2, 2);
        var target = Tensor.FromArray(new double[] { 0, 2, 1, 1 }).Reshape(2, 2);
        // per sample: (0 + 4)/2 = 2 and (0 + 4)/2 = 2; weights 0.5 and 2 → (1 + 4)/2 = 2.5
        Assert.Equal(2.5, Losses.WeightedMse(prediction, target, [0.5, 2]).Item(), 12);
        var e = Assert.Throws<ArgumentException>(() => Losses.WeightedMse(prediction, target, [1]));
        Assert.Contains("1 weights for a batch of 2", e.Message);
    }

    [Theory]
    [InlineData(0, 19, 0, 0)]      // t' = max(19 − 20, 0) = 0 → target is the teacher's point
    [InlineData(12, 259, 239, 0)]
    [InlineData(13, 279, 259, 259)] // t' lands on the boundary
    [InlineData(14, 299, 279, 259)]
    [InlineData(49, 999, 979, 779)]
    public void ReverseCdPairs(long n, long t, long tPrev, long s)
    {
        Assert.Equal((t, tPrev, s), ConsistencyPairs.Reverse(Boundaries.DdimGrid(), [0, 259, 519, 779], n));
    }

    [Theory]
    [InlineData(0, 19, 39, 259)]
    [InlineData(11, 239, 259, 259)] // t⁺ lands on the boundary
    [InlineData(12, 259, 279, 519)]
    [InlineData(48, 979, 999, 999)]
    public void ForwardCdPairs(long n, long t, long tNext, long s)
    {
        Assert.Equal((t, tNext, s), ConsistencyPairs.Forward(Boundaries.DdimGrid(), [259, 519, 779, 999], n));
    }

    [Theory]
    [InlineData(0, 259, 19)]
    [InlineData(1, 519, 259)]
    [InlineData(3, 999, 779)]
    public void PreservationPairs(int j, long f, long r)
    {
        Assert.Equal((f, r), ConsistencyPairs.Preservation([259, 519, 779, 999], [0, 259, 519, 779], 19, j));
    }

    [Theory]
    [InlineData(1, new[] { 0, 1, 2, 3 })] // METHOD D1: j uniform over the four segments
    [InlineData(3, new[] { 0, 0, 0, 1, 2, 3 })] // the first segment drawn 3 times in 6
    public void PreservationSegmentsWeightTheFirst(int firstWeight, int[] segments)
    {
        Assert.Equal(segments, Enumerable.Range(0, segments.Length).Select(d => ConsistencyPairs.PreservationSegment(d, firstWeight)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IcdDistillationOptions { PreservationFirstSegmentWeight = 0 });
    }

    [Theory]
    [InlineData(19, 19, false, 19, false)] // METHOD D1: the first segment ends at the noised start x_19
    [InlineData(19, 19, true, 0, true)] // at z0, as inference decodes
    [InlineData(259, 19, true, 259, false)] // later segments are unchanged
    [InlineData(0, 0, false, 0, false)] // a start at t = 0: the hard boundary, but the target keeps σ_0·ε
    [InlineData(0, 0, true, 0, true)] // ... or is z0 itself
    public void ReversePreservationEnds(long r, long forwardStart, bool toClean, long end, bool clean)
    {
        Assert.Equal((end, clean), ConsistencyPairs.ReversePreservationEnd(r, forwardStart, toClean));
    }

    [Theory]
    [InlineData(0.04, 20.0)] // 10·log10(4 / 0.04): images in [−1, 1] have a peak-to-peak of 2
    [InlineData(4.0, 0.0)]
    [InlineData(4e-4, 40.0)]
    public void PsnrOfAMeanSquaredError(double mse, double psnr) => Assert.Equal(psnr, Losses.Psnr(mse), 10);

    [Fact]
    public void ValidationMeasuresTheRoundTripInferenceUses()
    {
        // iCD inverts from its forward start; Inverse-and-Edit from the clean latent, whatever start L_f's pairs use.
        Assert.Equal(19, new IcdDistillationOptions().ValidationStart);
        var cycle = IcdDistillationOptions.CycleFineTuning(16, 2);
        Assert.Equal((0L, 0L), (cycle.ForwardStart, cycle.ValidationStart));
        Assert.Equal(0, (cycle with { ForwardStart = 19 }).ValidationStart);
    }

    [Fact]
    public void SamplerIsAPermutationPerEpochAndResumable()
    {
        var s = new InfiniteSampler(10, 3);
        var first = Enumerable.Range(0, 10).Select(_ => s.Next()).ToArray();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), first.Order());
        var next = Enumerable.Range(0, 5).Select(_ => s.Next()).ToArray();
        var resumed = new InfiniteSampler(10, 3) { Position = 10 };
        Assert.Equal(next, Enumerable.Range(0, 5).Select(_ => resumed.Next()));
    }

    private static (StableDiffusionModels Networks, BatchBuilder Data) Tiny(ulong seed = 1)
    {
        var net = StableDiffusionLoader.Load(Paths.TinySd);
        var data = new BatchBuilder(new Squares(), net.Vae, net.TextEncoder, net.Tokenizer, 32, seed, captionDropout: 0.1);
        return (net, data);
    }

    private static RunOptions Run(long steps) => new() { Steps = steps, BatchSize = 2, LearningRate = 1e-3, CheckpointEvery = 2, LogEvery = 1 };

    /// <summary>Latent diffusion's VAE objective: the KL is summed over one sample's latent elements and
    /// weighted β against a reconstruction loss summed over its pixels, so against the per-element mean
    /// it weighs β / (3·H·W). The KL does not depend on the sampled z, so it is checked by hand; β = 1
    /// here (the default 1e-6 would vanish in float32 next to the squared error).</summary>
    [Fact]
    public void AutoencoderObjectiveWeighsTheKlPerPixelLikeLatentDiffusion()
    {
        var net = StableDiffusionLoader.Load(Paths.TinySd);
        using var _ = net;
        var image = new Squares().Get(5).Image;
        double klByHand = 0;
        using (var scope = new TensorScope())
        using (Autograd.NoGrad())
        {
            using var dist = net.Vae.Encode(Icd.Pipelines.ImageTensors.ToTensor(image, 32, 32));
            var mu = dist.Mean.ToArray<float>();
            var logVar = dist.LogVar.ToArray<float>();
            for (int i = 0; i < mu.Length; i++) klByHand += 0.5 * (mu[i] * (double)mu[i] + Math.Exp(logVar[i]) - 1 - logVar[i]);
        }
        using var stage = new AutoencoderStage(net.Vae, new OneImage(image), 32, Run(1) with { BatchSize = 2 }, klWeight: 1);
        var logged = stage.Step(0);
        Assert.Equal(klByHand, logged["kl"], klByHand * 1e-4); // two copies of one image: the batch mean is the sample's sum
        Assert.Equal(klByHand / (3 * 32 * 32), logged["loss"] - logged["mse"], 1e-7);
    }

    private sealed class OneImage(RgbImage image) : IImageCaptionSource
    {
        public long Count => 1;
        public (RgbImage Image, string Caption) Get(long index) => (image, "one image");
    }

    [Fact]
    public void TeacherLossDecreasesAndOnlyTheUNetChanges()
    {
        var (net, data) = Tiny();
        using var _ = net;
        var vaeBefore = net.Vae.Parameters().First().ToArray<float>();
        using var stage = new TeacherStage(net.UNet, data, net.Schedule, Run(30) with { LearningRate = 2e-3 });
        var losses = Enumerable.Range(0, 30).Select(i => stage.Step(i)["loss"]).ToList();
        Assert.True(losses.Skip(20).Average() < losses.Take(5).Average(), $"loss {losses.Take(5).Average():F4} → {losses.Skip(20).Average():F4}");
        Assert.Equal(vaeBefore, net.Vae.Parameters().First().ToArray<float>());
    }

    [Fact]
    public void IcdStageTrainsOnlyTheAdapters()
    {
        var (net, data) = Tiny();
        using var _ = net;
        var baseBefore = net.UNet.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
        var options = new IcdDistillationOptions { Rank = 4, GuidanceSet = [0, 3] };
        using var stage = new IcdDistillationStage(net.UNet, data, net.Schedule, Run(3), options);
        var reverseBefore = UNetLora.Adapters(net.UNet, IcdDistillationStage.Reverse).Values.First().B.ToArray<float>();
        var losses = stage.Step(0);
        Assert.Equal(new[] { "forward_cd", "preserve_forward", "preserve_reverse", "reverse_cd" }, losses.Keys.Order());
        Assert.All(losses.Values, v => Assert.True(double.IsFinite(v)));
        foreach (var (name, p) in net.UNet.NamedParameters()) Assert.Equal(baseBefore[name], p.ToArray<float>()); // frozen bit for bit
        Assert.NotEqual(reverseBefore, UNetLora.Adapters(net.UNet, IcdDistillationStage.Reverse).Values.First().B.ToArray<float>());
    }

    /// <summary>Issue 39: iCD distillation of an SDXL-class teacher (tiny-sdxl): captions through both
    /// encoders with the time ids, iCD-XL's boundaries and w set, every loss finite, only the
    /// adapters trained.</summary>
    [Fact]
    public void IcdStageTrainsAnSdxlTeacher()
    {
        using var net = StableDiffusionLoader.Load(Path.Combine(Paths.SharedReference, "tiny-sdxl", "model"));
        var data = new BatchBuilder(new Squares(), net.Vae, net.TextEncoder, net.Tokenizer, 32, 1) { XLPrompts = net.XLPrompts };
        using (var batch = data.Next(2))
        {
            Assert.Equal(new long[] { 2, 77, net.UNet.Config.CrossAttentionDim }, batch.Text.States.Shape);
            Assert.Equal(new float[] { 32, 32, 0, 0, 32, 32, 32, 32, 0, 0, 32, 32 }, batch.Text.Added!.TimeIds.ToArray<float>());
        }
        var options = new IcdDistillationOptions { Rank = 4, GuidanceSet = [0, 3, 5] }.ForFamily(xl: true);
        Assert.Equal([0L, 249, 499, 699], options.ReverseEndpoints);
        var baseBefore = net.UNet.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
        using var stage = new IcdDistillationStage(net.UNet, data, net.Schedule, Run(3), options);
        var losses = stage.Step(0);
        Assert.All(losses.Values, v => Assert.True(double.IsFinite(v)));
        foreach (var (name, p) in net.UNet.NamedParameters()) Assert.Equal(baseBefore[name], p.ToArray<float>());
    }

    /// <summary>With gradient accumulation A = 2, one step draws two batches and every term takes one
    /// optimizer step over both: two steps per optimizer (forward: CD and L_f; reverse: CD and L_r), not four.</summary>
    [Fact]
    public void IcdStageAccumulatesMicroBatchesBeforeEachTermsStep()
    {
        var (net, data) = Tiny(4);
        using var _ = net;
        using var stage = new IcdDistillationStage(net.UNet, data, net.Schedule, Run(1) with { GradientAccumulation = 2 },
            new IcdDistillationOptions { Rank = 4, GuidanceSet = [0] });
        var losses = stage.Step(0);
        Assert.All(losses.Values, v => Assert.True(double.IsFinite(v) && v > 0));
        Assert.All(stage.Optimizers, o => Assert.Equal(2, o.StepCount));
        // The stream moved on by two batches of 2: its next batch is a fresh stream's third.
        var (other, fresh) = Tiny(4);
        using var __ = other;
        using var scope = new TensorScope();
        fresh.Next(2);
        fresh.Next(2);
        Assert.Equal(fresh.Next(2).Indices, data.Next(2).Indices);
    }

    [Fact]
    public void IcdLossesDecreaseOverAFewSteps()
    {
        var (net, data) = Tiny(2);
        using var _ = net;
        using var stage = new IcdDistillationStage(net.UNet, data, net.Schedule, Run(40) with { LearningRate = 3e-3 },
            new IcdDistillationOptions { Rank = 4, GuidanceSet = [0] });
        var steps = Enumerable.Range(0, 40).Select(i => stage.Step(i)).ToList();
        double Early(string k) => steps.Take(8).Average(s => s[k]);
        double Late(string k) => steps.Skip(32).Average(s => s[k]);
        Assert.True(Late("preserve_forward") < Early("preserve_forward"), $"L_f {Early("preserve_forward"):E3} → {Late("preserve_forward"):E3}");
        Assert.True(Late("preserve_reverse") < Early("preserve_reverse"), $"L_r {Early("preserve_reverse"):E3} → {Late("preserve_reverse"):E3}");
    }

    [Fact]
    public void IcdValidationScoresPixelsWhenGivenAVae()
    {
        var (net, data) = Tiny(2);
        using var _ = net;
        var options = new IcdDistillationOptions { Rank = 4, GuidanceSet = [0] };
        using (var latentOnly = new IcdDistillationStage(net.UNet, data, net.Schedule, Run(1), options))
            Assert.Equal(new[] { "val_clean_mse", "val_latent_mse" }, latentOnly.Validate().Keys.Order());
        using var stage = new IcdDistillationStage(net.UNet, data, net.Schedule, Run(1), options, createAdapters: false)
            { ValidationVae = net.Vae, ValidationSize = 1 };
        var first = stage.Validate();
        Assert.Equal(new[] { "val_clean_mse", "val_latent_mse", "val_psnr" }, first.Keys.Order());
        Assert.True(first["val_psnr"] is > 0 and < 100, $"val_psnr {first["val_psnr"]}");
        // The VAE's reconstruction of z0 is decoded once and kept; the score must not depend on that.
        Assert.Equal(first, stage.Validate());
    }

    [Fact]
    public void GuidanceDistillationStartsAsTheTeacher()
    {
        var (net, data) = Tiny();
        using var _ = net;
        var plain = new UNet2DConditionModel(net.UNet.Config with { TimeCondProjDim = null });
        plain.LoadStateDict(new Icd.Torch.Nn.DictionarySource(
            net.UNet.StateDict().Where(kv => !kv.Key.Contains("cond_proj")).ToDictionary(kv => kv.Key, kv => kv.Value)));
        using var student = GuidanceDistillationStage.NewStudent(plain, 32);
        using var scope = new TensorScope();
        using var gen = new Generator(3);
        var x = Tensor.Randn([1, 4, 8, 8], gen);
        var ctx = Tensor.Randn([1, 77, 32], gen);
        using (Autograd.NoGrad())
        {
            var a = plain.Forward(x, 300, ctx);
            var b = student.Forward(x, 300, ctx, Embeddings.GuidanceScale([7.0], 32));
            Assert.Equal(a.ToArray<float>(), b.ToArray<float>()); // cond_proj starts at zero
        }
        using var stage = new GuidanceDistillationStage(plain, student, data, net.Schedule, net.TextEncoder, net.Tokenizer, [0, 3], Run(2));
        Assert.True(double.IsFinite(stage.Step(0)["loss"]));
        plain.Dispose();
    }

    /// <summary>Mixed precision (bf16 autocast, float32 masters): a killed and resumed run logs the
    /// same losses as an uninterrupted one, its first loss is the float32 run's within bf16 rounding,
    /// and its checkpoint is not resumed in float32.</summary>
    [Fact]
    public void MixedPrecisionRunsResumeBitExactlyAndStayNearFloat32()
    {
        using var dir = new TempDir();
        RunOptions Mixed(long steps) => Run(steps) with { MixedPrecision = DType.BFloat16 };
        List<string[]> Losses(string folder, Func<TrainingRun, ITrainingStage, long> run, Func<long, RunOptions> options)
        {
            var (net, data) = Tiny(5);
            using var _ = net;
            using var stage = new TeacherStage(net.UNet, data, net.Schedule, options(6));
            run(new TrainingRun(folder, options(6)), stage);
            return File.ReadAllLines(Path.Combine(folder, "log.csv")).Select(l => l.Split(',').Where((_, i) => i != 1).ToArray()).ToList();
        }
        string a = Path.Combine(dir.Path, "a"), b = Path.Combine(dir.Path, "b"), f = Path.Combine(dir.Path, "f");
        var uninterrupted = Losses(a, (r, s) => r.Run(s, resume: false), Mixed);
        Losses(b, (r, s) => new TrainingRun(b, Mixed(4) with { CheckpointEvery = 2 }).Run(s, resume: false), Mixed);
        var resumed = Losses(b, (r, s) => r.Run(s, resume: true), Mixed);
        Assert.Equal(uninterrupted.Select(r => string.Join(",", r)), resumed.Select(r => string.Join(",", r)));
        var float32 = Losses(f, (r, s) => r.Run(s, resume: false), Run);
        int loss = Array.IndexOf(float32[0], "loss");
        double mixedFirst = double.Parse(uninterrupted[1][loss], System.Globalization.CultureInfo.InvariantCulture);
        double fullFirst = double.Parse(float32[1][loss], System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(fullFirst, mixedFirst); // bf16 GEMMs did run
        Assert.Equal(fullFirst, mixedFirst, fullFirst * 0.03);
        var refused = Assert.Throws<ArgumentException>(() => Losses(b, (r, s) => r.Run(s, resume: true), Run));
        Assert.Contains("precision bfloat16 → float32", refused.Message);
    }

    [Fact]
    public void KilledAndResumedRunLogsTheSameLosses()
    {
        using var dir = new TempDir();
        List<string> Losses(string folder, Func<TrainingRun, ITrainingStage, long> run)
        {
            var (net, data) = Tiny(5);
            using var _ = net;
            using var stage = new TeacherStage(net.UNet, data, net.Schedule, Run(6));
            run(new TrainingRun(folder, Run(6)), stage);
            return File.ReadAllLines(Path.Combine(folder, "log.csv")).Select(l => string.Join(",", l.Split(',').Where((_, i) => i != 1))).ToList();
        }
        string a = Path.Combine(dir.Path, "a"), b = Path.Combine(dir.Path, "b");
        var uninterrupted = Losses(a, (r, s) => r.Run(s, resume: false));
        // "Kill" after step 4 (a checkpoint is written every 2 steps), then resume in a new process state.
        Losses(b, (r, s) => new TrainingRun(b, Run(4) with { CheckpointEvery = 2 }).Run(s, resume: false));
        var resumed = Losses(b, (r, s) => r.Run(s, resume: true));
        Assert.Equal(uninterrupted, resumed);
        Assert.True(File.Exists(Path.Combine(b, "loss.svg")));
    }

    [Fact]
    public void ValidationDoesNotDisturbTheTrainingStream()
    {
        List<double> Train(bool validate)
        {
            var (net, data) = Tiny(8);
            using var _ = net;
            using var stage = new IcdDistillationStage(net.UNet, data, net.Schedule, Run(3), new IcdDistillationOptions { Rank = 4, GuidanceSet = [0] });
            var losses = new List<double>();
            for (int i = 0; i < 2; i++)
            {
                losses.Add(stage.Step(i)["reverse_cd"]);
                if (validate)
                {
                    var v = stage.Validate();
                    Assert.True(double.IsFinite(v["val_latent_mse"]) && double.IsFinite(v["val_clean_mse"]));
                }
            }
            return losses;
        }
        Assert.Equal(Train(false), Train(true));
    }

    [Fact]
    public void DistillationStagesDrawTheirNoiseFromTrainingNoise()
    {
        // Same data, seeds and weights; only the x_t noise differs, so the first losses must too.
        double Icd(TrainingNoise noise)
        {
            var (net, data) = Tiny(8);
            using var _ = net;
            using var stage = new IcdDistillationStage(net.UNet, data, net.Schedule, Run(3), new IcdDistillationOptions { Rank = 4, GuidanceSet = [0] }) { Noise = noise };
            return stage.Step(0)["reverse_cd"];
        }
        double Guidance(TrainingNoise noise)
        {
            var (net, data) = Tiny(8);
            using var _ = net;
            using var plain = new UNet2DConditionModel(net.UNet.Config with { TimeCondProjDim = null });
            using var student = GuidanceDistillationStage.NewStudent(plain, 32);
            using var stage = new GuidanceDistillationStage(plain, student, data, net.Schedule, net.TextEncoder, net.Tokenizer, [0, 3], Run(2)) { Noise = noise };
            return stage.Step(0)["loss"];
        }
        Assert.Equal(Icd(TrainingNoise.White), Icd(new TrainingNoise(0)));
        Assert.NotEqual(Icd(TrainingNoise.White), Icd(new TrainingNoise(0.8)));
        Assert.NotEqual(Guidance(TrainingNoise.White), Guidance(new TrainingNoise(0.8)));
    }

    [Fact]
    public void TheRunSetsEveryOptimizersLearningRateFromItsSchedule()
    {
        // Cosine over 4 steps, no warm-up: lr·½(1 + cos(π·k/4)) = lr·{1, 0.8536, 0.5, 0.1464}; with a
        // 2-step warm-up, step 0 runs at lr/2. The rate a stage's optimizers hold during its step is
        // what the run set, and the log records it.
        var run = Run(4) with { CosineDecay = true, CheckpointEvery = 100 };
        double[] expected = [1, 0.5 * (1 + Math.Sqrt(0.5)), 0.5, 0.5 * (1 - Math.Sqrt(0.5))];
        using var dir = new TempDir();
        using (var stage = new RateRecordingStage())
        {
            new TrainingRun(dir.Path, run).Run(stage, resume: false);
            Assert.Equal(expected.Select(e => run.LearningRate * e), stage.Seen, new Tolerance(1e-12));
            var logged = File.ReadAllLines(Path.Combine(dir.Path, "log.csv"));
            int column = Array.IndexOf(logged[0].Split(','), "lr");
            Assert.Equal(run.LearningRate * expected[3], double.Parse(logged[^1].Split(',')[column], System.Globalization.CultureInfo.InvariantCulture), 12);
        }
        using (var stage = new RateRecordingStage())
        {
            new TrainingRun(dir.Path, run with { Steps = 1, WarmupSteps = 2, CosineDecay = false }).Run(stage, resume: false);
            Assert.Equal(run.LearningRate / 2, stage.Seen[0], 12);
        }
        // The iCD stage hands over both students' optimizers (the cycle stage, forward only).
        var (net, data) = Tiny(8);
        using var _ = net;
        using (var icd = new IcdDistillationStage(net.UNet, data, net.Schedule, run, new IcdDistillationOptions { Rank = 4, GuidanceSet = [0] }))
            Assert.Equal(2, icd.Optimizers.Count);
    }

    /// <summary>A stage with two optimizers that records the learning rate they hold at each step.</summary>
    internal sealed class RateRecordingStage : ITrainingStage
    {
        private readonly Tensor _weight = Tensor.Zeros([1]).RequiresGrad_().DetachFromScope();
        private readonly AdamW _a, _b;

        public RateRecordingStage()
        {
            _a = new AdamW([_weight], new AdamWOptions(123));
            _b = new AdamW([_weight], new AdamWOptions(456));
        }

        public List<double> Seen { get; } = [];
        public string Name => "rates";
        public IReadOnlyList<AdamW> Optimizers => [_a, _b];

        public IReadOnlyDictionary<string, double> Step(long step)
        {
            Assert.Equal(_a.LearningRate, _b.LearningRate);
            Seen.Add(_a.LearningRate);
            return new Dictionary<string, double> { ["loss"] = 1 };
        }

        public void SaveState(IDictionary<string, Tensor> into) => into["w"] = _weight.Detach().DetachFromScope();
        public void LoadState(IReadOnlyDictionary<string, Tensor> from) { }

        public void Dispose()
        {
            _a.Dispose();
            _b.Dispose();
            _weight.Dispose();
        }
    }

    private sealed class Tolerance(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= eps;
        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public void DenoisingValidationByHand()
    {
        var (net, data) = Tiny(9);
        using var _ = net;
        using var validation = new DenoisingValidation(data, net.Schedule, 4, 17);
        // Oracle: predicting the true noise gives zero ε error and recovers z0 up to rounding.
        Tensor? noise = null;
        var oracle = validation.Measure((xt, t, text) => { var z0 = data.Fixed(4).Z0; noise = ((xt - z0 * net.Schedule.Alphas(t)) / net.Schedule.Sigmas(t)).DetachFromScope(); return noise.Share(); });
        Assert.True(oracle["val_eps_mse"] < 1e-12);
        Assert.True(oracle["val_x0_mse"] < 1e-8, $"{oracle["val_x0_mse"]}");
        // Predicting zero: ε error = E[ε²]; x̂0 = x_t/α_t, so x̂0 − z0 = (σ_t/α_t)·ε.
        var zero = validation.Measure((xt, t, text) => Tensor.ZerosLike(xt));
        using (noise)
        {
            var eps = noise!.ToArray<float>();
            Assert.Equal(eps.Average(e => (double)e * e), zero["val_eps_mse"], 5);
            int[] t = [125, 375, 625, 875]; // 4 timesteps spread evenly over [0, 1000)
            int per = eps.Length / 4;
            double expected = eps.Select((e, i) =>
            {
                double a = Math.Sqrt(net.Schedule.AlphasCumprod[t[i / per]]), sg = Math.Sqrt(1 - net.Schedule.AlphasCumprod[t[i / per]]);
                return Math.Pow(sg / a * e, 2);
            }).Average();
            Assert.Equal(expected, zero["val_x0_mse"], expected * 1e-4);
        }
    }

    [Fact]
    public void TeacherAndGuidanceValidationLeaveTheStreamAndWidenTheLog()
    {
        using var dir = new TempDir();
        List<string> Log(bool validate)
        {
            var (net, data) = Tiny(10);
            using var _ = net;
            var run = Run(4) with { ValidateEvery = validate ? 2 : 0 };
            using var stage = new TeacherStage(net.UNet, data, net.Schedule, run);
            string folder = Path.Combine(dir.Path, validate ? "v" : "n");
            new TrainingRun(folder, run).Run(stage, resume: false);
            return File.ReadAllLines(Path.Combine(folder, "log.csv")).ToList();
        }
        var plain = Log(false);
        var validated = Log(true);
        var header = validated[0].Split(',');
        Assert.Contains("val_eps_mse", header);
        Assert.Contains("val_x0_mse", header);
        // Step 1 (before the first validation) is padded; step 2 has the numbers; losses are unchanged.
        int col = Array.IndexOf(header, "val_eps_mse"), loss = Array.IndexOf(header, "loss");
        Assert.Equal("", validated[1].Split(',')[col]);
        Assert.True(double.Parse(validated[2].Split(',')[col], System.Globalization.CultureInfo.InvariantCulture) > 0);
        int plainLoss = Array.IndexOf(plain[0].Split(','), "loss");
        Assert.Equal(plain.Skip(1).Select(l => l.Split(',')[plainLoss]), validated.Skip(1).Select(l => l.Split(',')[loss]));

        var (net2, data2) = Tiny(11);
        using (net2)
        {
            var plainUNet = new UNet2DConditionModel(net2.UNet.Config with { TimeCondProjDim = null });
            plainUNet.LoadStateDict(new Icd.Torch.Nn.DictionarySource(
                net2.UNet.StateDict().Where(kv => !kv.Key.Contains("cond_proj")).ToDictionary(kv => kv.Key, kv => kv.Value)));
            using var student = GuidanceDistillationStage.NewStudent(plainUNet, 32);
            using var stage = new GuidanceDistillationStage(plainUNet, student, data2, net2.Schedule, net2.TextEncoder, net2.Tokenizer, [0, 3], Run(2));
            var v = stage.Validate();
            Assert.True(v["val_eps_mse"] >= 0 && double.IsFinite(v["val_x0_mse"]));
            plainUNet.Dispose();
        }
    }

    [Fact]
    public void DiskCacheGivesTheSameBatchesAndRefusesOtherNetworks()
    {
        using var dir = new TempDir();
        var net = StableDiffusionLoader.Load(Paths.TinySd);
        using var _ = net;
        string folder = Path.Combine(dir.Path, "cache");
        List<TrainingBatch> Batches(LatentCache? cache)
        {
            var data = new BatchBuilder(new Squares(), net.Vae, net.TextEncoder, net.Tokenizer, 32, 21, captionDropout: 0.3) { DiskCache = cache };
            return Enumerable.Range(0, 3).Select(_ => data.Next(4).DetachFromScope()).ToList();
        }
        var plain = Batches(null);
        var writing = Batches(LatentCache.Open(folder, net.Vae, net.TextEncoder, 32));
        var reading = Batches(LatentCache.Open(folder, net.Vae, net.TextEncoder, 32));
        Assert.Equal(12, LatentCache.Open(folder, net.Vae, net.TextEncoder, 32).Count); // 3 batches of 4 = one epoch of the 12 items
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(plain[k].Captions, writing[k].Captions);
            Assert.Equal(plain[k].Z0.ToArray<float>(), writing[k].Z0.ToArray<float>()); // same moments, same noise
            var a = plain[k].Text.States.ToArray<float>();
            var b = writing[k].Text.States.ToArray<float>();
            Assert.True(a.Zip(b, (x, y) => Math.Abs(x - y)).Max() < 1e-4); // per-item vs batched encoding: rounding only
            Assert.Equal(writing[k].Z0.ToArray<float>(), reading[k].Z0.ToArray<float>()); // from disk: bit for bit
            Assert.Equal(writing[k].Text.States.ToArray<float>(), reading[k].Text.States.ToArray<float>());
        }
        foreach (var batch in plain.Concat(writing).Concat(reading)) batch.Dispose();
        var e = Assert.Throws<InvalidDataException>(() => LatentCache.Open(folder, net.Vae, net.TextEncoder, 64));
        Assert.Contains(folder, e.Message);
        using (Autograd.NoGrad()) net.Vae.Parameters().First().Add_(1e-3);
        Assert.Throws<InvalidDataException>(() => LatentCache.Open(folder, net.Vae, net.TextEncoder, 32));
    }

    /// <summary>Squares that count how many images were drawn (captions come free).</summary>
    private sealed class CountedSquares : IImageCaptionSource
    {
        private readonly Squares _squares = new();
        public int Drawn { get; private set; }
        public long Count => _squares.Count;
        public (RgbImage Image, string Caption) Get(long index)
        {
            Drawn++;
            return _squares.Get(index);
        }
        public string Caption(long index) => $"a red square number {index}";
    }

    [Fact]
    public void SharedMomentsCacheEncodesEachItemOnceAndSavesBitForBit()
    {
        using var dir = new TempDir();
        var net = StableDiffusionLoader.Load(Paths.TinySd);
        using var _ = net;
        var source = new CountedSquares();
        float[][] Z0s(VaeMomentsCache? cache, ulong seed) // null: the builder's own, empty cache
        {
            var data = new BatchBuilder(source, net.Vae, net.TextEncoder, net.Tokenizer, 32, seed) { MomentsCache = cache ?? new VaeMomentsCache() };
            return Enumerable.Range(0, 3).Select(_ =>
            {
                using var batch = data.Next(4);
                return batch.Z0.ToArray<float>();
            }).ToArray();
        }
        using var shared = new VaeMomentsCache();
        Z0s(shared, 1); // one epoch of the 12 items
        Assert.Equal(12, source.Drawn);
        Assert.Equal(12, shared.Count);
        var second = Z0s(shared, 2); // a later stage: another order, nothing encoded again
        Assert.Equal(12, source.Drawn);
        Assert.Equal(Z0s(null, 2), second); // the same bits as encoding afresh
        Assert.Equal(24, source.Drawn);

        string file = Path.Combine(dir.Path, "moments.safetensors");
        shared.Save(file, "vae=a");
        using (var loaded = VaeMomentsCache.Load(file, "vae=a"))
        {
            Assert.NotNull(loaded);
            Assert.Equal(12, loaded.Count);
            Assert.Equal(second, Z0s(loaded, 2)); // another process starts warm, bit for bit
            Assert.Equal(24, source.Drawn);
        }
        Assert.Null(VaeMomentsCache.Load(file, "vae=b")); // another VAE or other data: not these moments
        Assert.Null(VaeMomentsCache.Load(Path.Combine(dir.Path, "none.safetensors"), "vae=a"));

        string bad = Path.Combine(dir.Path, "bad.safetensors");
        using (new TensorScope())
            Icd.Torch.Serialization.SafetensorsWriter.Write(bad, new Dictionary<string, Tensor>
            {
                ["index"] = Tensor.FromValues(new long[] { 0, 1 }), ["mean"] = Tensor.Zeros([3, 4, 4, 4]), ["logvar"] = Tensor.Zeros([3, 4, 4, 4]),
            }, new Dictionary<string, string> { ["key"] = "vae=a" });
        var e = Assert.Throws<InvalidDataException>(() => VaeMomentsCache.Load(bad, "vae=a"));
        Assert.Contains(bad, e.Message);
    }

    [Fact]
    public void FolderDatasetReadsCocoCsvAndAnswersCaptionsWithoutTheImage()
    {
        using var dir = new TempDir();
        PngEncoder.Write(Path.Combine(dir.Path, "a.png"), RgbImage.Blank(8, 8, 255, 0, 0));
        File.WriteAllLines(Path.Combine(dir.Path, "captions.csv"), ["file_name,caption", "a.png,\"a red square, small\""]);
        var data = new FolderDataset(dir.Path, Path.Combine(dir.Path, "captions.csv"));
        Assert.Equal(1, data.Count);
        var (image, caption) = data.Get(0);
        Assert.Equal("a red square, small", caption);
        Assert.Equal((255, 0, 0), ((int, int, int))image[3, 3]);
        File.Delete(Path.Combine(dir.Path, "a.png"));
        Assert.Equal("a red square, small", ((IImageCaptionSource)data).Caption(0)); // no image read
    }
}
