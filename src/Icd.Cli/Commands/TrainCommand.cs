using System.CommandLine;
using Icd.Checkpoints;
using Icd.Common;
using Icd.Denoising;
using Icd.Imaging;
using Icd.Lora;
using Icd.Metrics;
using Icd.Shapes;
using Icd.Torch;
using Icd.Torch.Serialization;
using Icd.Training;

namespace Icd.Cli.Commands;

/// <summary><c>icd train teacher|guidance|icd|cycle</c>: the training stages on a folder of images
/// with a captions CSV (MS-COCO layout: file_name, caption), with the VAE and text encoder of a
/// diffusers model frozen. Each run writes checkpoint.safetensors, log.csv and loss.svg and resumes
/// with --resume.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var train = new Command("train", "Training stages: teacher, guidance distillation, iCD distillation, cycle fine-tuning");
        train.Subcommands.Add(Stage("teacher", "ε-prediction training of the model's UNet (caption dropout for CFG)"));
        train.Subcommands.Add(Stage("guidance", "distil classifier-free guidance into a w-embedding (writes a guidance-distilled UNet)"));
        train.Subcommands.Add(Stage("icd", "distil forward and reverse consistency students as LoRA adapters"));
        train.Subcommands.Add(Stage("cycle", "Inverse-and-Edit cycle-consistency fine-tuning of the forward student"));
        return train;
    }

    private static Command Stage(string name, string description)
    {
        var model = new Option<string>("--model") { Description = "diffusers model folder (VAE, text encoder, tokenizer, UNet to start from), or a hub repo (org/name[@rev]) in the Hugging Face cache", Required = true };
        var images = new Option<string>("--images") { Description = "folder of training images", Required = true };
        var captions = new Option<string>("--captions") { Description = "CSV of file_name,caption (header row skipped)", Required = true };
        var output = new Option<string>("--out") { Description = "run folder (checkpoints, log.csv, loss.svg, results)", Required = true };
        var steps = new Option<long>("--steps") { Description = "optimisation steps", DefaultValueFactory = _ => 1000 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 8 };
        var lr = new Option<double>("--lr") { Description = "learning rate", DefaultValueFactory = _ => name == "teacher" ? 1e-4 : 8e-6 };
        var accumulation = new Option<int>("--grad-accumulation") { DefaultValueFactory = _ => 1 };
        var checkpointEvery = new Option<long>("--checkpoint-every") { DefaultValueFactory = _ => 100 };
        var size = new Option<int>("--size") { Description = "training image size", DefaultValueFactory = _ => 512 };
        var resume = new Option<bool>("--resume") { Description = "continue from the run folder's checkpoint" };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 453645634 };
        var rank = new Option<long>("--rank") { Description = "icd/cycle: LoRA rank", DefaultValueFactory = _ => 64 };
        var alpha = new Option<double>("--lora-alpha") { Description = "icd/cycle: LoRA alpha", DefaultValueFactory = _ => 8 };
        var guidanceSet = new Option<string?>("--guidance-set") { Description = "guidance/icd: embedded w values drawn per sample (default: METHOD D's, 0,7,11,15,19 for SD1.5 and 0,3,5,…,19 for SDXL)" };
        var forwardLora = new Option<string?>("--forward-lora") { Description = "cycle: the iCD forward student to fine-tune" };
        var reverseLora = new Option<string?>("--reverse-lora") { Description = "cycle: the frozen iCD reverse student" };
        var lpipsVgg = new Option<string?>("--lpips-vgg") { Description = "cycle: torchvision VGG16 weights (safetensors)" };
        var lpipsLin = new Option<string?>("--lpips-lin") { Description = "cycle: LPIPS v0.1 linear heads (safetensors)" };
        var lpipsShapes = new Option<string?>("--lpips-shapes") { Description = "cycle: Shapes clip.safetensors (LPIPS over the Shapes image encoder)" };
        var fromScratch = new Option<bool>("--from-scratch") { Description = "teacher: a freshly initialised UNet of the model's config, without the guidance embedding" };
        var logEvery = new Option<long>("--log-every") { Description = "log.csv row every N steps", DefaultValueFactory = _ => 10 };
        var warmup = new Option<long>("--warmup") { Description = "linear learning-rate warm-up steps" };
        var cosine = new Option<bool>("--cosine") { Description = "cosine learning-rate decay to 0 at the last step (default: constant)" };
        var validateEvery = new Option<long>("--validate-every") { Description = "validation on a fixed batch every N steps (0: off)" };
        var selectBy = new Option<string?>("--select-by") { Description = "end in the state of the validated step with the lowest value of this validation column (e.g. val_latent_mse; max:COLUMN for the highest, e.g. max:val_psnr), not the last step" };
        var ema = new Option<double>("--ema-decay") { Description = "end in an exponential moving average of the trained weights with this decay, e.g. 0.999; validation scores it (0: the last step's weights)" };
        var precision = new Option<string>("--precision") { Description = "fp32, or bf16: mixed precision (autocast bf16 compute, float32 master weights and optimizer state)", DefaultValueFactory = _ => "fp32" };
        var checkpointing = new Option<bool>("--gradient-checkpointing") { Description = "recompute UNet block activations in backward (less memory, ~1 more forward)" };
        var pyramid = new Option<double>("--pyramid-noise") { Description = "multi-resolution training noise with this discount per level (0: white noise; the Shapes teacher's second phase uses 0.8). For guidance, icd and cycle it is the distillation noise, which need not be the teacher's (the Shapes build distils on white noise); a model distilled on it sets pyramid_noise in icd.json" };
        var snrGamma = new Option<double?>("--snr-gamma") { Description = "teacher: Min-SNR-γ loss weighting (the Shapes build uses 5 with --pyramid-noise; default: plain MSE)" };
        var preservation = new Option<double>("--preservation") { Description = "icd: coefficient of both preservation losses L_f and L_r; cycle: of L_f (METHOD D1: 1.5; the Shapes build uses 3 for icd)", DefaultValueFactory = _ => 1.5 };
        var firstSegment = new Option<int>("--first-segment-weight")
        {
            Description = "icd: how many times the first segment (F_0, R_0) counts when the preservation losses draw their segment (default 1, METHOD D1's uniform draw; the Shapes build uses 3)",
            DefaultValueFactory = _ => 1,
        };
        var clean = new Option<bool>("--lr-to-clean") { Description = "icd: L_r's first segment jumps to t = 0 and targets the clean latent, as inference decodes (default: METHOD D1's noised start x_19)" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "on-disk cache of VAE latents and caption embeddings (reused across runs)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "start over in a run folder that already holds a run, replacing its results" };
        var nproc = new Option<int>("--nproc") { Description = "data-parallel: start this many local worker processes (--batch-size is the global batch). Under torchrun/Slurm set RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT instead", DefaultValueFactory = _ => 1 };
        var distTimeout = new Option<double>("--dist-timeout") { Description = "data-parallel: seconds a rank waits for the others before it stops with an error", DefaultValueFactory = _ => 300 };
        var command = new Command(name, description);
        foreach (var o in new Option[] { model, images, captions, output, steps, batch, lr, accumulation, checkpointEvery, size, resume, overwrite, seed, rank, alpha,
                     guidanceSet, forwardLora, reverseLora, lpipsVgg, lpipsLin, lpipsShapes, logEvery, warmup, cosine, validateEvery, selectBy, ema, checkpointing, precision, cacheDir, fromScratch, pyramid, snrGamma, preservation, clean, firstSegment, nproc, distTimeout })
            command.Options.Add(o);
        command.SetAction(parse =>
        {
            var timeout = TimeSpan.FromSeconds(parse.GetValue(distTimeout));
            if (!(timeout.TotalSeconds is >= 1 and <= 86400)) throw new ArgumentException("--dist-timeout must be in 1..86400 seconds");
            if (parse.GetValue(nproc) is var n && n != 1)
            {
                if (n < 1 || n > 256) throw new ArgumentException($"--nproc must be in 1..256, got {n}");
                if (Icd.Torch.Distributed.DistributedEnvironment.FromEnvironment() is null) return DistributedLaunch.Launch(n, timeout);
            }
            using var parallel = DistributedLaunch.Join(timeout);
            bool main = parallel is null || parallel.Rank == 0;
            if (parse.GetValue(selectBy) is { } metric && parse.GetValue(validateEvery) == 0)
                throw new ArgumentException($"--select-by {metric} needs validation: add --validate-every N");
            var run = new RunOptions
            {
                Steps = parse.GetValue(steps), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(lr),
                GradientAccumulation = parse.GetValue(accumulation), CheckpointEvery = parse.GetValue(checkpointEvery), Seed = parse.GetValue(seed),
                WarmupSteps = parse.GetValue(warmup), CosineDecay = parse.GetValue(cosine), ValidateEvery = parse.GetValue(validateEvery),
                GradientCheckpointing = parse.GetValue(checkpointing), LogEvery = parse.GetValue(logEvery), SelectBy = parse.GetValue(selectBy),
                EmaDecay = parse.GetValue(ema),
                MixedPrecision = RunOptions.ParsePrecision(parse.GetValue(precision)!, "--precision"),
            }.Validate();
            double discount = parse.GetValue(pyramid);
            if (!(discount >= 0 && discount < 1)) throw new ArgumentException($"--pyramid-noise must be in [0, 1) (0: white noise), got {discount}");
            var noise = new TrainingNoise(discount);
            double? gamma = parse.GetValue(snrGamma);
            if (gamma is { } gv && !(gv > 0)) throw new ArgumentException($"--snr-gamma must be > 0, got {gv}");
            double keep = parse.GetValue(preservation);
            if (!(keep >= 0 && double.IsFinite(keep))) throw new ArgumentException($"--preservation must be ≥ 0 (0: off), got {keep}");
            if (parse.GetValue(firstSegment) is var k and < 1) throw new ArgumentException($"--first-segment-weight must be ≥ 1 (1: METHOD D1's uniform draw), got {k}");
            string outDir = parse.GetValue(output)!;
            if (main) RunFolder.CheckStart(outDir, parse.GetValue(resume), parse.GetValue(overwrite));
            parallel?.Group.Barrier();
            string cwd = Directory.GetCurrentDirectory();
            using var net = StableDiffusionLoader.Load(Icd.Hub.HubPaths.Resolve(parse.GetValue(model)!, cwd));
            net.Vae.SetRequiresGrad(false);
            net.TextEncoder.SetRequiresGrad(false);
            net.TextEncoder2?.SetRequiresGrad(false);
            var source = new FolderDataset(parse.GetValue(images)!, parse.GetValue(captions)!);
            var cache = parse.GetValue(cacheDir) is { } c ? LatentCache.Open(c, net.Vae, net.TextEncoder, parse.GetValue(size)) : null;
            var data = new BatchBuilder(source, net.Vae, net.TextEncoder, net.Tokenizer, parse.GetValue(size), run.Seed, name == "teacher" ? 0.1 : 0) { DiskCache = cache, XLPrompts = net.XLPrompts };
            var w = ModelOptions.ParseList(parse.GetValue(guidanceSet) ?? (net.IsXL ? "0,3,5,7,9,11,13,15,17,19" : "0,7,11,15,19"), "--guidance-set");
            var progress = main ? new TrainProgressLines(TimeSpan.FromSeconds(5)) : null;
            var trainingRun = new TrainingRun(outDir, run);
            switch (name)
            {
                case "teacher":
                {
                    UNet2DConditionModel? fresh = null;
                    if (parse.GetValue(fromScratch))
                        using (Icd.Torch.Nn.Init.Seed(run.Seed)) fresh = new UNet2DConditionModel(net.UNet.Config with { TimeCondProjDim = null });
                    using (fresh)
                    {
                        var unet = fresh ?? net.UNet;
                        using var stage = new TeacherStage(unet, data, net.Schedule, run) { Noise = noise, SnrGamma = gamma };
                        trainingRun.Run(stage, parse.GetValue(resume), progress);
                        if (main) WriteModelFolder(net.Directory, outDir, unet);
                    }
                    break;
                }
                case "guidance":
                {
                    using var student = GuidanceDistillationStage.NewStudent(net.UNet, 512);
                    using var stage = new GuidanceDistillationStage(net.UNet, student, data, net.Schedule, net.TextEncoder, net.Tokenizer, w, run) { Noise = noise };
                    trainingRun.Run(stage, parse.GetValue(resume), progress);
                    if (main) WriteModelFolder(net.Directory, outDir, student);
                    break;
                }
                case "icd":
                {
                    var options = new IcdDistillationOptions
                    {
                        Rank = parse.GetValue(rank), Alpha = parse.GetValue(alpha), GuidanceSet = w, ForwardPreservation = keep, ReversePreservation = keep,
                        ReversePreservationToClean = parse.GetValue(clean), PreservationFirstSegmentWeight = parse.GetValue(firstSegment),
                    }.ForFamily(net.IsXL);
                    using var stage = new IcdDistillationStage(net.UNet, data, net.Schedule, run, options) { Noise = noise };
                    trainingRun.Run(stage, parse.GetValue(resume), progress);
                    stage.Export(Path.Combine(outDir, "forward.safetensors"), Path.Combine(outDir, "reverse.safetensors"));
                    break;
                }
                default:
                {
                    string fwd = Icd.Hub.HubPaths.Resolve(parse.GetValue(forwardLora) ?? throw new ArgumentException("cycle needs --forward-lora"), cwd),
                        rev = Icd.Hub.HubPaths.Resolve(parse.GetValue(reverseLora) ?? throw new ArgumentException("cycle needs --reverse-lora"), cwd);
                    UNetLora.AttachFile(net.UNet, IcdDistillationStage.Forward, fwd, parse.GetValue(alpha));
                    UNetLora.AttachFile(net.UNet, IcdDistillationStage.Reverse, rev, parse.GetValue(alpha));
                    using var lpips = LoadLpips(parse.GetValue(lpipsVgg), parse.GetValue(lpipsLin), parse.GetValue(lpipsShapes));
                    var options = (IcdDistillationOptions.CycleFineTuning(parse.GetValue(rank), parse.GetValue(alpha)) with { ForwardPreservation = keep }).ForFamily(net.IsXL);
                    using var stage = new IcdDistillationStage(net.UNet, data, net.Schedule, run, options, createAdapters: false, new CycleContext(net.Vae, lpips)) { Noise = noise };
                    trainingRun.Run(stage, parse.GetValue(resume), progress);
                    LoraFile.WritePeft(Path.Combine(outDir, "forward_cycle.safetensors"), UNetLora.Adapters(net.UNet, IcdDistillationStage.Forward));
                    break;
                }
            }
            parallel?.Group.Barrier();   // rank 0's files are written before any worker reports success
            if (main) Console.WriteLine($"{name}: done; results, log.csv and loss.svg in {outDir}{(parallel is null ? "" : $" ({parallel.WorldSize} processes)")}");
            return 0;
        });
        return command;
    }

    /// <summary>RUN/model: the input diffusers folder with the trained UNet in place of its own, so the
    /// next stage can take it as <c>--model</c> (teacher → guidance → icd → cycle).</summary>
    private static void WriteModelFolder(string source, string outDir, UNet2DConditionModel unet)
    {
        string target = Path.Combine(outDir, "model");
        void Copy(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
            foreach (var dir in Directory.GetDirectories(from))
                if (!(from == source && Path.GetFileName(dir) == "unet")) Copy(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
        Copy(source, target);
        string unetDir = Path.Combine(target, "unet");
        Directory.CreateDirectory(unetDir);
        foreach (var old in Directory.GetFiles(unetDir)) File.Delete(old);
        AtomicFile.WriteAllText(Path.Combine(unetDir, "config.json"), ConfigFile.Serialize(unet.Config));
        SafetensorsWriter.Write(Path.Combine(unetDir, "diffusion_pytorch_model.safetensors"), unet.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter));
    }

    private static Lpips LoadLpips(string? vgg, string? lin, string? shapes)
    {
        if (shapes is not null)
        {
            var encoder = new ImageEncoder(ShapesModelConfigs.ImageEncoderChannels, ShapesModelConfigs.EmbedDim);
            ShapesClip.LoadImageWeights(encoder, shapes);
            encoder.SetRequiresGrad(false);
            return Lpips.OverEncoder(encoder, owner: encoder);
        }
        if (vgg is null || lin is null) throw new ArgumentException("cycle needs LPIPS weights: --lpips-vgg and --lpips-lin (or --lpips-shapes for the Shapes world)");
        return Lpips.Vgg(vgg, lin);
    }
}
