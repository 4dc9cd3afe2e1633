using System.Runtime.ExceptionServices;
using System.Text.Json;
using Icd.Common;
using Icd.Denoising;
using Icd.Imaging;
using Icd.Latents;
using Icd.Metrics;
using Icd.Pipelines;
using Icd.Sampling;
using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;
using Icd.Training;

namespace Icd.Shapes;

/// <summary>
/// Builds the Shapes world's model from nothing, stage by stage: BPE tokenizer → VAE → CLIP
/// (text encoder + image encoder) → teacher UNet → guidance distillation → iCD forward/reverse
/// students. Every stage writes its output once and is skipped when the output exists; inside a
/// stage, training resumes from its checkpoint. The result is a diffusers-layout folder plus
/// <c>icd.json</c>, weights stored as fp16 safetensors.
/// </summary>
public sealed class ShapesBuilder(string outputDirectory, string workDirectory, ShapesBuildOptions options)
{
    public string ModelDirectory => Path.Combine(outputDirectory, "model");
    private string Work(string stage) => Path.Combine(workDirectory, stage);

    public event Action<string>? Log;

    /// <summary>Validation scenes: the first <paramref name="count"/> that follow the training pool in the stream.</summary>
    private ShapesSource HeldBack(int count) => ShapesSource.AfterPool(options.DataSeed, options.PoolSize, count);
    private const int HeldBackScenes = 8;
    /// <summary>The cycle stage ends in its best validated step, so its validation must be large enough
    /// for the choice not to be noise: on 4 scenes (its batch, the default until the twentieth build)
    /// the held-back PSNR wandered ±0.3 dB from one validation to the next.</summary>
    private const int CycleHeldBackScenes = 32;

    /// <summary>Builds every part the options ask for (<see cref="ShapesBuildOptions.Ablations"/>), one stage after another.</summary>
    public void Build(IProgress<TrainProgress>? progress = null, CancellationToken ct = default) =>
        Build(options.Ablations ? ShapesBuildParts.All : ShapesBuildParts.Base | ShapesBuildParts.Model, progress, ct);

    /// <summary>Builds <paramref name="parts"/>. Without <see cref="ShapesBuildParts.Base"/>, the base must be built
    /// already: two processes can then build the model's students and the ablations side by side.</summary>
    public void Build(ShapesBuildParts parts, IProgress<TrainProgress>? progress = null, CancellationToken ct = default)
    {
        if (!parts.HasFlag(ShapesBuildParts.Base) && !File.Exists(DistilledUNetFile))
            throw new InvalidOperationException($"the base of the build (tokenizer to guidance-distilled UNet) is not built yet: {DistilledUNetFile} is missing; build with the base part first");
        Directory.CreateDirectory(ModelDirectory);
        var source = new ShapesSource(options.DataSeed, options.PoolSize);
        var tokenizer = BuildTokenizer();
        var vae = BuildVae(source, progress, ct);
        var (text, imageEncoder) = BuildClip(source, tokenizer, progress, ct);
        using (vae)
        using (text)
        using (imageEncoder)
        using (_moments = OpenMoments(vae))
        {
            // Only the base reads the teacher (to distil guidance). Without the base part the guidance-distilled
            // UNet is built already (checked above), so a part can run from a model folder that ships no
            // teacher checkpoints, such as a released build's.
            using var teacher = parts.HasFlag(ShapesBuildParts.Base) ? BuildTeacher(source, tokenizer, vae, text, progress, ct) : null;
            using var distilled = teacher is null ? LoadGuidanceDistilled() : BuildGuidanceDistilled(source, tokenizer, vae, text, teacher, progress, ct);
            if (parts.HasFlag(ShapesBuildParts.Model))
            {
                BuildStudent(0, source, tokenizer, vae, text, distilled, progress, ct);
                BuildCycle(source, tokenizer, vae, text, imageEncoder, distilled, progress, ct);
                WriteManifest(); // the model is usable from here; the ablations only feed the evaluation
            }
            if (parts.HasFlag(ShapesBuildParts.Ablations))
                for (int i = 1; i < Students.Length; i++) BuildStudent(i, source, tokenizer, vae, text, distilled, progress, ct);
        }
        WriteManifest();
    }

    /// <summary>Builds every part through <paramref name="runPart"/> (the CLI starts a process per part,
    /// each with the thread settings that suit it): the base first, then the model's students and the
    /// ablation students, side by side when <paramref name="sideBySide"/> (they share nothing but the
    /// finished base), then writes the manifests. On 2 cores two one-thread processes train the
    /// students 1.5 times faster than one two-thread process (model card).</summary>
    public void BuildInParts(Func<ShapesBuildParts, CancellationToken, Task> runPart, bool sideBySide, CancellationToken ct = default)
    {
        runPart(ShapesBuildParts.Base, ct).GetAwaiter().GetResult();
        var parts = options.Ablations ? new[] { ShapesBuildParts.Model, ShapesBuildParts.Ablations } : [ShapesBuildParts.Model];
        if (!sideBySide)
            foreach (var part in parts) runPart(part, ct).GetAwaiter().GetResult();
        else
        {
            using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var running = parts.Select(part => Run(part, failed)).ToArray();
            try
            {
                Task.WaitAll(running); // waits for every part, failed or not
            }
            catch (AggregateException e)
            {
                // A part stopped because the other one failed reports a cancellation: the failure is the news.
                var errors = e.InnerExceptions.Where(x => x is not OperationCanceledException).ToList();
                if (errors.Count == 0) throw new OperationCanceledException("the build was cancelled", e, ct);
                ExceptionDispatchInfo.Throw(errors.Count == 1 ? errors[0] : new AggregateException("both parts of the build failed", errors));
            }
        }
        WriteManifest();

        async Task Run(ShapesBuildParts part, CancellationTokenSource failed)
        {
            try
            {
                await runPart(part, failed.Token);
            }
            catch
            {
                failed.Cancel(); // one part failed: stop the other rather than leave it running
                throw;
            }
        }
    }

    private string DistilledUNetFile => Path.Combine(ModelDirectory, "unet", "diffusion_pytorch_model.safetensors");

    /// <summary>The pool's VAE moments, shared by every stage of a <see cref="Build(ShapesBuildParts, IProgress{TrainProgress}?, CancellationToken)"/>
    /// (each item encoded once per build, not once per stage), saved after each stage of the base, so that a
    /// resumed base and the parts built after it in other processes start with them. The parts only read
    /// the file: two of them side by side never write it.</summary>
    private VaeMomentsCache? _moments;
    /// <summary>The file's key (the VAE's fingerprint, the image size, the data), hashed once per build.</summary>
    private string _momentsKey = "";
    /// <summary>How many items the file holds: a stage that encoded nothing new does not write it again.</summary>
    private int _momentsOnDisk;
    private string MomentsFile => Path.Combine(workDirectory, "vae-moments.safetensors");

    private VaeMomentsCache OpenMoments(AutoencoderKL vae)
    {
        _momentsKey = $"vae={LatentCache.Fingerprint(vae)};size=64;data={options.DataSeed}/{options.PoolSize}";
        var loaded = VaeMomentsCache.Load(MomentsFile, _momentsKey);
        if (loaded is not null) Log?.Invoke($"vae moments: {loaded.Count} of {options.PoolSize} pool items encoded already ({MomentsFile})");
        _momentsOnDisk = loaded?.Count ?? 0;
        return loaded ?? new VaeMomentsCache();
    }

    private void SaveMoments()
    {
        if (_moments is null || _moments.Count <= _momentsOnDisk) return;
        _moments.Save(MomentsFile, _momentsKey);
        _momentsOnDisk = _moments.Count;
    }

    /// <summary>A stage's batches; every stage runs inside <see cref="Build(ShapesBuildParts, IProgress{TrainProgress}?, CancellationToken)"/>, which opens the shared moments.</summary>
    private BatchBuilder Batches(IImageCaptionSource source, AutoencoderKL vae, ClipTextModel text, ClipTokenizer tokenizer, ulong seed, double captionDropout, int heldBack) =>
        new(source, vae, text, tokenizer, 64, seed, captionDropout) { Validation = HeldBack(heldBack), MomentsCache = _moments };

    private ClipTokenizer BuildTokenizer()
    {
        string dir = Path.Combine(ModelDirectory, "tokenizer");
        if (!File.Exists(Path.Combine(dir, "merges.txt")))
        {
            Log?.Invoke("tokenizer: learning BPE merges over the caption grammar");
            var set = new TrainingSet(options.DataSeed);
            BpeTrainer.Train(Enumerable.Range(0, (int)Math.Min(options.PoolSize, 5000)).Select(i => set.Get(i).Caption.Text), dir);
        }
        return ClipTokenizer.Load(dir);
    }

    private AutoencoderKL BuildVae(IImageCaptionSource source, IProgress<TrainProgress>? progress, CancellationToken ct)
    {
        string dir = Path.Combine(ModelDirectory, "vae");
        if (!File.Exists(Path.Combine(dir, "diffusion_pytorch_model.safetensors"))) TrainVae(source, dir, progress, ct);
        // The weights as saved (fp16), also right after training: every later stage, in this process or
        // another, sees the same VAE (and the VAE moments' key, a fingerprint of it, matches across processes).
        var vae = Checkpoints.StableDiffusionLoader.LoadVae(dir);
        vae.Eval();
        vae.SetRequiresGrad(false);
        return vae;
    }

    private void TrainVae(IImageCaptionSource source, string dir, IProgress<TrainProgress>? progress, CancellationToken ct)
    {
        Log?.Invoke("vae: training the autoencoder");
        AutoencoderKL vae;
        using (Init.Seed(1)) vae = new AutoencoderKL(ShapesModelConfigs.Vae());
        double scaling;
        using (var stage = new AutoencoderStage(vae, source, 64, options.Vae, objectWeight: options.VaeObjectWeight) { Validation = HeldBack(HeldBackScenes) })
        {
            new TrainingRun(Work("vae"), options.Vae).Run(stage, resume: true, progress, ct);
            scaling = stage.ScalingFactor();
        }
        vae.Eval();
        vae.SetRequiresGrad(false);
        var config = ShapesModelConfigs.Vae(Math.Round(scaling, 5));
        using var final = new AutoencoderKL(config);
        final.LoadStateDict(new DictionarySource(vae.StateDict(), "trained vae"));
        vae.Dispose();
        Save(final, config, dir, "diffusion_pytorch_model.safetensors");
    }

    private (ClipTextModel Text, ImageEncoder Image) BuildClip(IImageCaptionSource source, ClipTokenizer tokenizer, IProgress<TrainProgress>? progress, CancellationToken ct)
    {
        string dir = Path.Combine(ModelDirectory, "text_encoder");
        var config = ShapesModelConfigs.TextEncoder(tokenizer.VocabSize, tokenizer.EosId);
        ClipTextModel text;
        ImageEncoder image;
        using (Init.Seed(2))
        {
            text = new ClipTextModel(config);
            image = new ImageEncoder(ShapesModelConfigs.ImageEncoderChannels, ShapesModelConfigs.EmbedDim);
        }
        string clipFile = Path.Combine(outputDirectory, "clip.safetensors");
        if (!File.Exists(Path.Combine(dir, "model.safetensors")) || !File.Exists(clipFile))
        {
            Log?.Invoke("clip: contrastive text–image training");
            using var projection = new Linear(config.HiddenSize, ShapesModelConfigs.EmbedDim, bias: false);
            using (var stage = new ClipStage(text, image, projection, tokenizer, source, 64, options.Clip))
                new TrainingRun(Work("clip"), options.Clip).Run(stage, resume: true, progress, ct);
            Save(text, config, dir, "model.safetensors");
            var clip = image.NamedParameters().Select(p => ("image." + p.Name, p.Parameter))
                .Concat(projection.NamedParameters().Select(p => ("text_projection." + p.Name, p.Parameter)))
                .ToDictionary(p => p.Item1, p => p.Item2.To(DType.Float16).DetachFromScope());
            SafetensorsWriter.Write(clipFile, clip);
            foreach (var t in clip.Values) t.Dispose();
        }
        // The weights as saved (fp16), also right after training: every later stage, in this process or
        // another, sees the same networks, so a build in parts or resumed trains as one run from nothing.
        Checkpoints.WeightFiles.LoadInto(text, Path.Combine(dir, "model.safetensors"));
        ShapesClip.LoadImageWeights(image, clipFile);
        foreach (var m in new Module[] { text, image }) { m.Eval(); m.SetRequiresGrad(false); }
        return (text, image);
    }

    /// <summary>The teacher in two phases: ε-prediction on white noise (shapes, sizes, positions), then
    /// a fine-tune on pyramid noise with Min-SNR weighting, which makes it take background colours from
    /// the caption (see <see cref="ShapesBuildOptions.TeacherNoise"/>); optionally a third with
    /// counterfactual noising, which makes it read object colour words more
    /// (<see cref="ShapesBuildOptions.TeacherCounterfactualPhase"/>).</summary>
    private UNet2DConditionModel BuildTeacher(IImageCaptionSource source, ClipTokenizer tokenizer, AutoencoderKL vae, ClipTextModel text,
        IProgress<TrainProgress>? progress, CancellationToken ct)
    {
        options.TeacherNoise.Validate(); // settings checked before phase 1, not after it
        options.DistillationNoise.Validate();
        Losses.CheckSnrGamma(options.TeacherSnrGamma, nameof(options.TeacherSnrGamma));
        UNet2DConditionModel unet;
        using (Init.Seed(3)) unet = new UNet2DConditionModel(ShapesModelConfigs.UNet());
        options.TeacherCounterfactual.Validate();
        TrainTeacherPhase(unet, "teacher", options.Teacher, TrainingNoise.White, null, null, null, source, tokenizer, vae, text, progress, ct);
        if (options.TeacherPyramid is { } pyramid)
            TrainTeacherPhase(unet, "teacher-pyramid", pyramid, options.TeacherNoise, options.TeacherSnrGamma, null, null, source, tokenizer, vae, text, progress, ct);
        if (options.TeacherCounterfactualPhase is { } counterfactual)
            TrainTeacherPhase(unet, "teacher-counterfactual", counterfactual, options.TeacherNoise, options.TeacherSnrGamma, options.TeacherCounterfactual,
                options.TeacherGrounding, source, tokenizer, vae, text, progress, ct);
        return unet;
    }

    private void TrainTeacherPhase(UNet2DConditionModel unet, string name, RunOptions run, TrainingNoise noise, double? snrGamma,
        CounterfactualNoising? counterfactual, double? grounding, IImageCaptionSource source, ClipTokenizer tokenizer, AutoencoderKL vae, ClipTextModel text, IProgress<TrainProgress>? progress, CancellationToken ct)
    {
        string file = Path.Combine(Work(name), name + ".safetensors");
        if (File.Exists(file))
        {
            Checkpoints.WeightFiles.LoadInto(unet, file);
            return;
        }
        // Every later stage is made from the teacher: outputs of an earlier teacher must not be reused.
        string distilled = Path.Combine(ModelDirectory, "unet");
        if (Directory.Exists(distilled))
            throw new InvalidOperationException($"{distilled} was distilled from an earlier teacher, but teacher phase '{name}' is about to train; delete {distilled} and the students (or build into a new --out) so they are made from this teacher");
        string weighting = snrGamma is { } gamma ? $", Min-SNR γ = {gamma}" : "";
        Log?.Invoke(noise.PyramidDiscount > 0
            ? $"{name}: fine-tuning on pyramid noise (discount {noise.PyramidDiscount}){weighting}, so colours come from the caption"
            : $"{name}: ε-prediction training with caption dropout{weighting}");
        if (counterfactual is { } c)
            Log?.Invoke($"{name}: counterfactual noising, p = {c.Probability} for t ≥ {c.MinTimestep}: inputs from recoloured scenes, targets from the caption's");
        if (grounding is { } g)
            Log?.Invoke($"{name}: grounding loss × {g}: each object's words attend to its pixels, the background's colour word to the rest");
        var data = Batches(source, vae, text, tokenizer, run.Seed, options.CaptionDropout, HeldBackScenes);
        using (var stage = new TeacherStage(unet, data, NoiseSchedule.StableDiffusion, run)
               { Noise = noise, SnrGamma = snrGamma, Counterfactual = counterfactual, GroundingWeight = grounding })
            new TrainingRun(Work(name), run).Run(stage, resume: true, progress, ct);
        SafetensorsWriter.Write(file, unet.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter));
        SaveMoments();
    }

    private UNet2DConditionModel LoadGuidanceDistilled() => Checkpoints.StableDiffusionLoader.LoadUNet(Path.Combine(ModelDirectory, "unet"));

    private UNet2DConditionModel BuildGuidanceDistilled(IImageCaptionSource source, ClipTokenizer tokenizer, AutoencoderKL vae, ClipTextModel text,
        UNet2DConditionModel teacher, IProgress<TrainProgress>? progress, CancellationToken ct)
    {
        string dir = Path.Combine(ModelDirectory, "unet");
        var config = ShapesModelConfigs.UNet(ShapesModelConfigs.GuidanceEmbeddingDim);
        if (File.Exists(DistilledUNetFile))
            return LoadGuidanceDistilled();
        Log?.Invoke("guidance: distilling classifier-free guidance into the w-embedding");
        var student = GuidanceDistillationStage.NewStudent(teacher, ShapesModelConfigs.GuidanceEmbeddingDim);
        var data = Batches(source, vae, text, tokenizer, options.Guidance.Seed, captionDropout: 0, HeldBackScenes);
        using (var stage = new GuidanceDistillationStage(teacher, student, data, NoiseSchedule.StableDiffusion, text, tokenizer, options.GuidanceSet, options.Guidance)
               { Noise = options.DistillationNoise })
            new TrainingRun(Work("guidance"), options.Guidance).Run(stage, resume: true, progress, ct);
        Save(student, config, dir, "diffusion_pytorch_model.safetensors");
        SaveMoments();
        student.Eval();
        return student;
    }

    /// <summary>Table 2's students: the model's (both preservation losses, × <see cref="ShapesBuildOptions.Preservation"/>)
    /// and, after the cycle fine-tuning, the two ablations (none; L_f only), each from fresh adapters with the same run.</summary>
    private (string Work, string Prefix, string Description, double Lf, double Lr)[] Students =>
    [
        ("icd", "", "fCD4 + L_f | CD4 + L_r", options.Preservation, options.Preservation),
        ("icd-no-preservation", NoPreservationPrefix, "fCD4 | CD4 (no preservation losses)", 0, 0),
        ("icd-lf-only", LfOnlyPrefix, "fCD4 + L_f | CD4", options.Preservation, 0),
    ];

    /// <summary>Where the model's extra students live in its folder (the evaluation reads them).</summary>
    public const string NoPreservationPrefix = "ablations/no-preservation-", LfOnlyPrefix = "ablations/lf-only-", CycleManifest = "inverse-and-edit.json";

    /// <summary>The manifest of the student whose files start with <paramref name="prefix"/>.</summary>
    public static string ManifestOf(string prefix) => prefix + "icd.json";

    private void BuildStudent(int which, IImageCaptionSource source, ClipTokenizer tokenizer, AutoencoderKL vae, ClipTextModel text,
        UNet2DConditionModel distilled, IProgress<TrainProgress>? progress, CancellationToken ct)
    {
        var (work, prefix, description, lf, lr) = Students[which];
        string forward = Path.Combine(outputDirectory, prefix + "forward.safetensors"), reverse = Path.Combine(outputDirectory, prefix + "reverse.safetensors");
        if (File.Exists(forward) && File.Exists(reverse)) return;
        Log?.Invoke($"icd: distilling the forward and reverse consistency students ({description})");
        Directory.CreateDirectory(Path.GetDirectoryName(forward)!);
        RemoveStudentAdapters(distilled);
        var data = Batches(source, vae, text, tokenizer, options.Icd.Seed, captionDropout: 0, HeldBackScenes);
        var icd = new IcdDistillationOptions
        {
            Rank = options.LoraRank, Alpha = options.LoraAlpha, GuidanceSet = options.GuidanceSet, ForwardPreservation = lf, ReversePreservation = lr,
            ReversePreservationToClean = options.ReversePreservationToClean, ForwardStart = options.ForwardStart,
            PreservationFirstSegmentWeight = options.PreservationFirstSegmentWeight,
        };
        // Every held-back scene, scored in pixels too (val_psnr), so that Icd.SelectBy can keep a step by what the evaluation measures.
        using var stage = new IcdDistillationStage(distilled, data, NoiseSchedule.StableDiffusion, options.Icd, icd)
            { Noise = options.DistillationNoise, ValidationVae = vae, ValidationSize = HeldBackScenes };
        new TrainingRun(Work(work), options.Icd).Run(stage, resume: true, progress, ct);
        stage.Export(forward, reverse, DType.Float16);
    }

    private static void RemoveStudentAdapters(UNet2DConditionModel unet)
    {
        Lora.UNetLora.Unfuse(unet);
        foreach (var (_, m) in unet.NamedModules())
            if (m is ILoraLayer layer)
                foreach (var name in new[] { IcdDistillationStage.Forward, IcdDistillationStage.Reverse })
                    if (layer.Adapters.ContainsKey(name)) layer.RemoveAdapter(name);
    }

    /// <summary>Inverse-and-Edit's cycle-consistency fine-tuning of the forward student (the reverse
    /// student frozen), with LPIPS over the Shapes image encoder.</summary>
    private void BuildCycle(IImageCaptionSource source, ClipTokenizer tokenizer, AutoencoderKL vae, ClipTextModel text, ImageEncoder imageEncoder,
        UNet2DConditionModel distilled, IProgress<TrainProgress>? progress, CancellationToken ct)
    {
        string output = Path.Combine(outputDirectory, "cycle_forward.safetensors");
        if (File.Exists(output)) return;
        Log?.Invoke("cycle: Inverse-and-Edit cycle-consistency fine-tuning of the forward student");
        RemoveStudentAdapters(distilled);
        foreach (var (name, file) in new[] { (IcdDistillationStage.Forward, "forward.safetensors"), (IcdDistillationStage.Reverse, "reverse.safetensors") })
            Lora.UNetLora.AttachFile(distilled, name, Path.Combine(outputDirectory, file), options.LoraAlpha);
        vae.SetRequiresGrad(false);
        using var lpips = Lpips.OverEncoder(imageEncoder);
        var data = Batches(source, vae, text, tokenizer, options.Cycle.Seed, captionDropout: 0, CycleHeldBackScenes);
        var cycle = IcdDistillationOptions.CycleFineTuning(options.LoraRank, options.LoraAlpha) with { ForwardPreservation = options.CyclePreservation, ForwardStart = options.CycleForwardStart, CycleStart = options.CycleStart };
        using var stage = new IcdDistillationStage(distilled, data, NoiseSchedule.StableDiffusion, options.Cycle, cycle, createAdapters: false,
            new CycleContext(vae, lpips)) { Noise = options.DistillationNoise, ValidationSize = CycleHeldBackScenes };
        new TrainingRun(Work("cycle"), options.Cycle).Run(stage, resume: true, progress, ct);
        Lora.LoraFile.WritePeft(output, Lora.UNetLora.Adapters(distilled, IcdDistillationStage.Forward), dtype: DType.Float16);
    }

    private void WriteManifest()
    {
        AtomicFile.WriteAllText(Path.Combine(ModelDirectory, "model_index.json"), """
            { "_class_name": "StableDiffusionPipeline", "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
              "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"] }
            """);
        Directory.CreateDirectory(Path.Combine(ModelDirectory, "scheduler"));
        AtomicFile.WriteAllText(Path.Combine(ModelDirectory, "scheduler", "scheduler_config.json"), ConfigFile.Serialize(SchedulerConfig.StableDiffusion));
        var manifest = new IcdManifest
        {
            Base = "model",
            ForwardLora = "forward.safetensors",
            ReverseLora = "reverse.safetensors",
            LoraAlpha = options.LoraAlpha,
            PyramidNoise = options.DistillationNoise.PyramidDiscount,
            // Generation starts from the noise the teacher was last trained on: its students,
            // distilled on white noise, copy its white-noise trajectories, which end in texture.
            GenerationNoise = options.TeacherPyramid is null ? null : options.TeacherNoise.PyramidDiscount,
            Description = "Shapes world iCD model (built by `icd shapes build`)",
            Defaults = new EditDefaults { Guidance = 3, Tau = 0.8, CrossReplace = 0.3, SelfReplace = 0.6, Amplify = 2, Seed = 30, GenerationGuidance = 3 },
        };
        manifest = manifest with { ForwardTimesteps = [options.ForwardStart, .. manifest.ForwardTimestepsFor(xl: false)[1..]], ReverseTimesteps = manifest.ReverseTimestepsFor(xl: false) };
        // Only finished students get a manifest: a folder with one is a usable model. Writes are atomic,
        // since two processes building parts side by side both write here.
        if (File.Exists(Path.Combine(outputDirectory, manifest.ReverseLora)))
            AtomicFile.WriteAllText(Path.Combine(outputDirectory, "icd.json"), ConfigFile.Serialize(manifest));
        if (File.Exists(Path.Combine(outputDirectory, "cycle_forward.safetensors")))
        {
            // Inverse-and-Edit: the cycle-fine-tuned forward model, encoding from where its cycle loss started (METHOD D2: t = 0).
            var iae = manifest with { ForwardLora = "cycle_forward.safetensors", ForwardTimesteps = [options.CycleStart, .. manifest.ForwardTimestepsFor(xl: false)[1..]], Description = "Shapes world Inverse-and-Edit model" };
            AtomicFile.WriteAllText(Path.Combine(outputDirectory, CycleManifest), ConfigFile.Serialize(iae));
        }
        foreach (var (_, prefix, description, _, _) in Students.Skip(1))
        {
            if (!File.Exists(Path.Combine(outputDirectory, prefix + "reverse.safetensors"))) continue;
            // Manifests of the ablation students sit beside their adapters, so paths are relative to ablations/.
            var ablation = manifest with
            {
                Base = "../model", ForwardLora = Path.GetFileName(prefix) + "forward.safetensors", ReverseLora = Path.GetFileName(prefix) + "reverse.safetensors",
                Description = $"Shapes world ablation student: {description}",
            };
            AtomicFile.WriteAllText(Path.Combine(outputDirectory, ManifestOf(prefix)), ConfigFile.Serialize(ablation));
        }
    }

    /// <summary>Writes a module's config.json and its weights as fp16 safetensors.</summary>
    private static void Save<TConfig>(Module module, TConfig config, string dir, string fileName)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"), ConfigFile.Serialize(config));
        var tensors = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Detach().To(DType.Float16).DetachFromScope());
        SafetensorsWriter.Write(Path.Combine(dir, fileName), tensors);
        foreach (var t in tensors.Values) t.Dispose();
    }
}
