using System.Diagnostics;
using Icd.Checkpoints;
using Icd.Denoising;
using Icd.Lora;
using Icd.Metrics;
using Icd.Sampling;
using Icd.Shapes;
using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Training;

namespace Icd.Cli.Bench;

/// <summary>
/// <c>icd bench train</c>: steps/s and peak memory of each training stage (teacher, guidance
/// distillation, iCD, cycle fine-tuning) on a diffusers model folder, with and without activation
/// checkpointing. Data are Shapes scenes at the model's image size; the cycle stage's perceptual
/// distance is LPIPS over a Shapes image encoder (random weights: only its cost matters here).
/// </summary>
internal static class TrainBenchmark
{
    public static readonly string[] Stages = ["teacher", "guidance", "icd", "cycle"];

    /// <summary>The LoRA rank and alpha come from the Shapes build's defaults, so the iCD and cycle
    /// rows time what <c>icd shapes build</c> trains.</summary>
    private static readonly ShapesBuildOptions Shapes = new();

    /// <param name="precisions">Each stage in each: null = float32, bf16 = mixed precision (autocast, float32 masters).</param>
    public static object Run(string modelDirectory, int batch, int steps, int imageSize, IReadOnlyList<string> stages, string? profileDirectory = null,
        IReadOnlyList<DType?>? precisions = null)
    {
        var rows = new List<object>();
        foreach (var stage in stages)
            foreach (var precision in precisions ?? [null])
                foreach (bool checkpointing in new[] { false, true })
                    rows.Add(Measure(modelDirectory, stage, checkpointing, batch, steps, imageSize, profileDirectory, precision));
        return new { model = modelDirectory, batch, steps, image_size = imageSize, threads = TorchRuntime.Threads, stages = rows };
    }

    private static object Measure(string modelDirectory, string name, bool checkpointing, int batch, int steps, int imageSize, string? profileDirectory, DType? precision)
    {
        using var net = StableDiffusionLoader.Load(modelDirectory);
        net.Vae.SetRequiresGrad(false);
        net.TextEncoder.SetRequiresGrad(false);
        var run = new RunOptions { Steps = steps + 1, BatchSize = batch, LearningRate = 1e-5, GradientCheckpointing = checkpointing, MixedPrecision = precision };
        var data = new BatchBuilder(new ShapesSource(1, 4096), net.Vae, net.TextEncoder, net.Tokenizer, imageSize, run.Seed);
        UNet2DConditionModel? plain = null, student = null;
        ImageEncoder? encoder = null;
        Lpips? lpips = null;
        ITrainingStage stage;
        using (Init.Seed(1))
        {
            switch (name)
            {
                case "teacher":
                    stage = new TeacherStage(net.UNet, data, net.Schedule, run);
                    break;
                case "guidance":
                    // A plain teacher of the same shape (the folder's UNet may already be guidance-distilled).
                    plain = new UNet2DConditionModel(net.UNet.Config with { TimeCondProjDim = null });
                    student = GuidanceDistillationStage.NewStudent(plain, net.UNet.Config.TimeCondProjDim ?? 256);
                    stage = new GuidanceDistillationStage(plain, student, data, net.Schedule, net.TextEncoder, net.Tokenizer, [0, 2, 4], run);
                    break;
                case "icd":
                    stage = new IcdDistillationStage(DistilledUNet(net.UNet, ref plain), data, net.Schedule, run, new IcdDistillationOptions { Rank = Shapes.LoraRank, Alpha = Shapes.LoraAlpha, GuidanceSet = [0, 2] });
                    break;
                default:
                    var unet = DistilledUNet(net.UNet, ref plain);
                    UNetLora.CreateTrainable(unet, IcdDistillationStage.Forward, LoraTargets.Icd, Shapes.LoraRank, Shapes.LoraAlpha);
                    UNetLora.CreateTrainable(unet, IcdDistillationStage.Reverse, LoraTargets.Icd, Shapes.LoraRank, Shapes.LoraAlpha);
                    encoder = new ImageEncoder(ShapesModelConfigs.ImageEncoderChannels, ShapesModelConfigs.EmbedDim);
                    encoder.SetRequiresGrad(false);
                    lpips = Lpips.OverEncoder(encoder);
                    stage = new IcdDistillationStage(unet, data, net.Schedule, run, IcdDistillationOptions.CycleFineTuning(Shapes.LoraRank, Shapes.LoraAlpha),
                        createAdapters: false, new CycleContext(net.Vae, lpips));
                    break;
            }
        }
        try
        {
            using (new TensorScope())
            using (run.MixedPrecisionScope()) // as TrainingRun steps a stage
                stage.Step(0); // warm-up: allocator, oneDNN primitives, latent cache
            ModelBenchmark.ResetPeakRss();
            long before = ModelBenchmark.PeakRssBytes();
            var sw = Stopwatch.StartNew();
            for (int s = 1; s <= steps; s++)
                using (new TensorScope())
                using (run.MixedPrecisionScope())
                    stage.Step(s);
            double seconds = sw.Elapsed.TotalSeconds;
            return new
            {
                stage = name, precision = precision is { } pr ? pr.TorchName() : "float32", gradient_checkpointing = checkpointing, steps_per_second = Math.Round(steps / seconds, 3),
                images_per_second = Math.Round(steps * batch / seconds, 2), peak_rss_gb = Math.Round(ModelBenchmark.PeakRssBytes() / 1e9, 3),
                rss_at_start_gb = Math.Round(before / 1e9, 3),
                top_ops = profileDirectory is null ? null : ProfileStep(stage, steps + 1, Path.Combine(profileDirectory, $"{name}{(checkpointing ? "-checkpointed" : "")}.json")),
            };
        }
        finally
        {
            stage.Dispose();
            lpips?.Dispose();
            encoder?.Dispose();
            student?.Dispose();
            plain?.Dispose();
        }
    }

    /// <summary>One more step, after the timed ones (the profiler's own cost stays out of the timing), under the
    /// op profiler: its Chrome trace goes to <paramref name="trace"/>, and the ops with the most self time are returned.</summary>
    private static object[] ProfileStep(ITrainingStage stage, int step, string trace)
    {
        using (OpProfile.Record(trace))
        using (new TensorScope())
            stage.Step(step);
        return OpProfile.Summarize(trace).Take(15).Select(o => (object)new { op = o.Name, calls = o.Calls, self_ms = Math.Round(o.SelfMilliseconds, 1), total_ms = Math.Round(o.Milliseconds, 1) }).ToArray();
    }

    /// <summary>The folder's UNet if it has the guidance embedding, else a guidance-distilled copy (random cond_proj).</summary>
    private static UNet2DConditionModel DistilledUNet(UNet2DConditionModel unet, ref UNet2DConditionModel? owned)
    {
        if (unet.Config.TimeCondProjDim is not null) return unet;
        owned = GuidanceDistillationStage.NewStudent(unet, 256);
        return owned;
    }
}
