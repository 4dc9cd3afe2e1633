using System.Diagnostics;
using Icd.Denoising;
using Icd.Editing;
using Icd.Editing.PromptToPrompt;
using Icd.Imaging;
using Icd.Inversion;
using Icd.Sampling;
using Icd.Torch;

namespace Icd.Pipelines;

/// <summary>
/// iCD's pipelines over an <see cref="IcdModel"/>: generate (3–4 reverse steps), invert (3–4
/// forward steps), reconstruct, and edit (invert with the source prompt, decode with the target
/// prompt, optionally with Prompt-to-Prompt). Runs on the calling thread; the async wrappers run
/// it on a worker thread (libtorch's grad mode is thread-local). Never writes to the console.
/// </summary>
public sealed class IcdPipeline(IcdModel model)
{
    public IcdModel Model { get; } = model;

    private RgbImage[] Decode(Tensor latents) => Model.DecodeLatents(latents);

    private Tensor Preprocess(RgbImage image, InversionOptions options) => Model.Preprocess(image, options);

    public GenerateResult Generate(string prompt, GenerateOptions options, IProgress<StepProgress>? progress = null, CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        using var scope = new TensorScope();
        using var inference = Autograd.NoGrad();
        var x = Model.GenerationStart(options);
        var (text, _) = Model.EncodePrompts(prompt);
        int nfe = 0;
        x = Denoise(x, (i, t) => (text, options.Guidance.At(i, t)), ref nfe, progress, sw, ct);
        var image = Decode(x)[0];
        progress?.Report(new StepProgress(Phase.Decode, 1, 1, nfe, sw.Elapsed));
        return new GenerateResult(image, nfe, sw.Elapsed);
    }

    /// <summary>Image → z0 → forward jumps with the source prompt (w = 0). The caller disposes the trajectory.</summary>
    public InversionTrajectory Invert(RgbImage image, string prompt, InversionOptions options, IProgress<StepProgress>? progress = null, Stopwatch? clock = null)
    {
        clock ??= Stopwatch.StartNew();
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        var z0 = Model.EncodeImage(Preprocess(image, options));
        progress?.Report(new StepProgress(Phase.Encode, 1, 1, 0, clock.Elapsed));
        var (text, _) = Model.EncodePrompts(prompt);
        var steps = options.StartTimestep is { } start ? Model.Boundaries.WithForwardStart(start).Forward : Model.Boundaries.Forward;
        return ForwardEncoder.Encode(Model.Forward, Model.Schedule, z0, text, steps, options.Seed,
            i => progress?.Report(new StepProgress(Phase.Invert, i + 1, steps.Count, i + 1, clock.Elapsed)), Model.InversionNoise);
    }

    /// <summary>Invert, then decode with the same prompt at w = 0; metrics against the preprocessed input.</summary>
    public ReconstructResult Reconstruct(RgbImage image, string prompt, InversionOptions options, GuidanceSchedule? guidance = null,
        IProgress<StepProgress>? progress = null, CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        using var inversion = Invert(image, prompt, options, progress, sw);
        var (text, _) = Model.EncodePrompts(prompt);
        var x = inversion.Final.Share();
        int nfe = Model.Boundaries.Forward.Count;
        x = Denoise(x, (i, t) => (text, (guidance ?? GuidanceSchedule.None).At(i, t)), ref nfe, progress, sw, ct);
        var reconstruction = Decode(x)[0];
        var input = ImageTensors.ToImage(Preprocess(image, options));
        return ReconstructResult.Measure(input, reconstruction, nfe, sw.Elapsed);
    }

    /// <summary>The autoencoder round trip alone (encode to the posterior mean, decode): the floor of
    /// every inversion's error, 0 network evaluations.</summary>
    public ReconstructResult AutoencoderRoundTrip(RgbImage image, InversionOptions options)
    {
        var sw = Stopwatch.StartNew();
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        var pixels = Preprocess(image, options);
        var reconstruction = Decode(Model.EncodeImage(pixels))[0];
        var input = ImageTensors.ToImage(pixels);
        return ReconstructResult.Measure(input, reconstruction, 0, sw.Elapsed);
    }

    /// <summary>Invert with <paramref name="source"/>, decode with <paramref name="target"/>.</summary>
    public EditResult Edit(RgbImage image, string source, string target, EditOptions options,
        IProgress<StepProgress>? progress = null, CancellationToken ct = default)
    {
        CheckPrompt(source, nameof(source));
        CheckPrompt(target, nameof(target));
        if (options.Method == EditMethod.Guided)
            throw new NotSupportedException("guided editing runs through GuidedEditor (Inverse-and-Edit)");
        var sw = Stopwatch.StartNew();
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        using var inversion = Invert(image, source, options.Inversion, progress, sw);
        int nfe = Model.Boundaries.Forward.Count;
        var steps = Model.Boundaries.Reverse;
        Tensor x;
        string controllerKind = "none";
        long h = inversion.Final.Size(2), w = inversion.Final.Size(3);
        // The SDXL rule for the prompt switch (METHOD B6): the source prompt, unguided, while t > 1000·τ.
        bool SourcePromptAt(long t) => options.SourcePromptAboveTau is { } tau && t > 1000 * tau;
        using var region = RegionBlend.For(image, options.Region, mask => Preprocess(mask, options.Inversion), h, w);
        OutsidePaste? blendPaste = null;   // the input outside LocalBlend's last mask
        if (options.Method == EditMethod.PromptToPrompt || region is not null)
        {
            // Batch [source, target]: the source row is the reconstruction (w = 0), the target row is
            // guided. The reference also runs two unconditional rows that never affect the output
            // (METHOD B6); they are skipped here. A region keeps the target row to the source row
            // outside it after every step.
            var (text, tokens) = Model.EncodePrompts(source, target);
            using var controller = options.Method == EditMethod.PromptToPrompt
                ? new PromptToPromptController(tokens[0], tokens[1], steps.Count, options.PromptToPrompt, Model.Tokenizer, h, w)
                : null;
            // The prompt switch's source-only steps feed the source prompt to both rows (P2P never does).
            var sourceTwice = controller is null ? TextConditioning.Cat(text.Narrow(0, 1), text.Narrow(0, 1)) : text;
            controllerKind = controller?.Kind ?? "none";
            var targetStart = region?.Start(inversion.Final, options.RegionRenoise, options.Inversion.Seed + 1) ?? inversion.Final;
            x = Tensor.Cat([inversion.Final, targetStart], 0);
            using (controller is null ? null : Model.Networks.UNet.UseController(controller))
            {
                for (int i = 0; i < steps.Count; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    var (t, s) = steps[i];
                    bool sourceOnly = controller is null && SourcePromptAt(t);
                    controller?.BeginStep(i);
                    using var eps = Model.Reverse.Epsilon(x, t, sourceOnly ? sourceTwice : text, [0, sourceOnly ? 0 : options.Guidance.At(i, t)]);
                    controller?.EndStep();
                    using var jump = ConsistencyJump.Apply(Model.Schedule, x, eps, t, s);
                    x = controller?.Blend(jump.Previous) ?? jump.Previous.Share();
                    if (region is not null) x = region.Apply(x);
                    FiniteLatent.Check(x, "editing", i, s);
                    nfe++;
                    progress?.Report(new StepProgress(Phase.Denoise, i + 1, steps.Count, nfe, sw.Elapsed));
                }
            }
            blendPaste = controller?.BlendPaste((int)h * Model.VaeScale, (int)w * Model.VaeScale);
        }
        else
        {
            var (both, _) = Model.EncodePrompts(source, target);
            var sourceText = both.Narrow(0, 1);
            var targetText = both.Narrow(1, 1);
            x = Denoise(inversion.Final.Share(), (i, t) => SourcePromptAt(t)
                ? (sourceText, 0.0)
                : (targetText, options.Guidance.At(i, t)), ref nfe, progress, sw, ct);
        }
        var rows = x.Size(0) == 2 && !options.IncludeReconstruction ? x.Narrow(0, 1, 1) : x;
        var images = Decode(rows);
        progress?.Report(new StepProgress(Phase.Decode, 1, 1, nfe, sw.Elapsed));
        var input = ImageTensors.ToImage(Preprocess(image, options.Inversion));
        var edited = images[^1];
        if (options.MatchColors) edited = ColorMatch.MatchStatistics(edited, input);
        if ((region?.Outside ?? blendPaste) is { } paste) edited = paste.Paste(edited, input);
        RgbImage? reconstruction = images.Length > 1 ? images[0] : null;
        return new EditResult(input, edited, reconstruction, nfe, sw.Elapsed, controllerKind);
    }

    /// <summary>The reverse model's jumps for one batch row; <paramref name="condition"/> gives the
    /// text and guidance w of step i at timestep t.</summary>
    private Tensor Denoise(Tensor x, Func<int, long, (TextConditioning Text, double W)> condition, ref int nfe,
        IProgress<StepProgress>? progress, Stopwatch sw, CancellationToken ct)
    {
        var steps = Model.Boundaries.Reverse;
        for (int i = 0; i < steps.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var (t, s) = steps[i];
            var (text, w) = condition(i, t);
            using var eps = Model.Reverse.Epsilon(x, t, text, [w]);
            x = ConsistencyJump.Apply(Model.Schedule, x, eps, t, s).Previous;
            FiniteLatent.Check(x, "denoising", i, s);
            nfe++;
            progress?.Report(new StepProgress(Phase.Denoise, i + 1, steps.Count, nfe, sw.Elapsed));
        }
        return x;
    }

    private static void CheckPrompt(string prompt, string name)
    {
        if (string.IsNullOrWhiteSpace(prompt)) throw new ArgumentException($"the {name} prompt is empty: editing needs a description of the image", name);
    }

    public Task<EditResult> EditAsync(RgbImage image, string source, string target, EditOptions options,
        IProgress<StepProgress>? progress = null, CancellationToken ct = default) =>
        Task.Run(() => Edit(image, source, target, options, progress, ct), ct);
}
