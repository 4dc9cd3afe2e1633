using System.Diagnostics;
using Icd.Editing.PromptToPrompt;
using Icd.Imaging;
using Icd.Inversion;
using Icd.Sampling;
using Icd.Torch;

namespace Icd.Pipelines;

/// <summary>
/// The teacher baselines the papers compare against: N-step DDIM inversion (w = 0) and DDIM
/// sampling/editing with Prompt-to-Prompt and guidance, on diffusers' "leading" grid
/// t_k = k·(1000/N) + 1 (981 … 1 for N = 50). Inversion follows Null-text Inversion's next_step:
/// ε is evaluated at the current latent and the target timestep t, and x moves from t − 1000/N to t
/// (ᾱ of a negative step is ᾱ_0). The source branch of an edit runs at w = 0, as in iCD's editing.
/// </summary>
public sealed class DdimPipeline(IcdModel model, int steps = 50)
{
    public IcdModel Model { get; } = model;
    public int Steps { get; } = steps > 0 && 1000 % steps == 0 ? steps : throw new ArgumentOutOfRangeException(nameof(steps), steps, "must divide 1000");

    private int Stride => Model.Schedule.TrainSteps / Steps;

    /// <summary>Ascending timesteps 1, 21, …, 981 for 50 steps.</summary>
    public long[] Grid => Enumerable.Range(0, Steps).Select(k => (long)(k * Stride + 1)).ToArray();

    public InversionTrajectory Invert(RgbImage image, string prompt, InversionOptions options, IProgress<StepProgress>? progress = null, Stopwatch? clock = null)
    {
        clock ??= Stopwatch.StartNew();
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        var z0 = Model.EncodeImage(Model.Preprocess(image, options));
        var (text, _) = Model.EncodePrompts(prompt);
        var x = z0;
        var latents = new List<Tensor>();
        var grid = Grid;
        for (int i = 0; i < grid.Length; i++)
        {
            long t = grid[i];
            using var eps = Model.Teacher.Epsilon(x, t, text, [0]);
            x = Ddim.Step(Model.Schedule, eps, t - Stride, x, t).Previous;
            FiniteLatent.Check(x, "DDIM inversion", i, t);
            latents.Add(x.Share().DetachFromScope());
            progress?.Report(new StepProgress(Phase.Invert, i + 1, grid.Length, i + 1, clock.Elapsed));
        }
        return new InversionTrajectory(latents, grid, z0.Share().DetachFromScope());
    }

    /// <summary>N-step DDIM sampling with the teacher from the model's generation noise: generation's
    /// baseline, N NFE (one per step; the guidance-distilled teacher embeds w).</summary>
    public GenerateResult Generate(string prompt, GenerateOptions options, IProgress<StepProgress>? progress = null, CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        var x = Model.GenerationStart(options);
        var (text, _) = Model.EncodePrompts(prompt);
        var grid = Grid.Reverse().ToArray();
        for (int i = 0; i < grid.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            long t = grid[i];
            using var eps = Model.Teacher.Epsilon(x, t, text, [options.Guidance.At(i, t)]);
            x = Ddim.Step(Model.Schedule, eps, t, x, t - Stride).Previous;
            FiniteLatent.Check(x, "DDIM denoising", i, t - Stride);
            progress?.Report(new StepProgress(Phase.Denoise, i + 1, grid.Length, i + 1, sw.Elapsed));
        }
        var image = Model.DecodeLatents(x)[0];
        return new GenerateResult(image, Steps, sw.Elapsed);
    }

    /// <summary>DDIM inversion with <paramref name="source"/>, then DDIM sampling of [source, target] with P2P.
    /// With <paramref name="negativePromptInversion"/> (NPI, Miyake et al.; the reference's
    /// <c>--use_npi</c>): classical CFG whose unconditional branch is the source prompt's embedding,
    /// which needs a plain (not guidance-distilled) teacher.</summary>
    public EditResult Edit(RgbImage image, string source, string target, EditOptions options,
        IProgress<StepProgress>? progress = null, CancellationToken ct = default, bool negativePromptInversion = false)
    {
        if (negativePromptInversion && Model.Teacher.IsGuidanceDistilled)
            throw new InvalidOperationException("negative-prompt inversion replaces classical CFG's unconditional branch, so it needs a plain teacher; this model's UNet embeds w (time_cond_proj_dim): give a manifest of the undistilled base model");
        var sw = Stopwatch.StartNew();
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        using var inversion = Invert(image, source, options.Inversion, progress, sw);
        var (text, tokens) = Model.EncodePrompts(source, target);
        var denoiser = negativePromptInversion ? new Denoising.Denoiser(Model.Networks.UNet, null, Model.EncodePrompts(source).Embeddings) : Model.Teacher;
        long h = inversion.Final.Size(2), w = inversion.Final.Size(3);
        using var controller = new PromptToPromptController(tokens[0], tokens[1], Steps, options.PromptToPrompt, Model.Tokenizer, h, w);
        using var region = Editing.RegionBlend.For(image, options.Region, mask => Model.Preprocess(mask, options.Inversion), h, w);
        var targetStart = region?.Start(inversion.Final, options.RegionRenoise, options.Inversion.Seed + 1) ?? inversion.Final;
        var x = Tensor.Cat([inversion.Final, targetStart], 0);
        var grid = Grid.Reverse().ToArray();
        int nfe = Steps;
        using (Model.Networks.UNet.UseController(controller))
        {
            for (int i = 0; i < grid.Length; i++)
            {
                ct.ThrowIfCancellationRequested();
                long t = grid[i];
                controller.BeginStep(i);
                // NPI guides both branches against the source prompt (the source branch then reconstructs exactly).
                double wt = options.Guidance.At(i, t);
                int calls = denoiser.Calls;
                using var eps = denoiser.Epsilon(x, t, text, negativePromptInversion ? [wt, wt] : [0, wt]);
                controller.EndStep();
                using var step = Ddim.Step(Model.Schedule, eps, t, x, t - Stride);
                x = controller.Blend(step.Previous);
                if (region is not null) x = region.Apply(x);
                FiniteLatent.Check(x, "DDIM editing", i, t - Stride);
                nfe += denoiser.Calls - calls;   // two passes where a plain teacher applies classical CFG
                progress?.Report(new StepProgress(Phase.Denoise, i + 1, grid.Length, nfe, sw.Elapsed));
            }
        }
        var blendPaste = controller.BlendPaste((int)h * Model.VaeScale, (int)w * Model.VaeScale);
        var images = Model.DecodeLatents(x);
        var input = ImageTensors.ToImage(Model.Preprocess(image, options.Inversion));
        var edited = images[1];
        if (options.MatchColors) edited = Editing.ColorMatch.MatchStatistics(edited, input);
        if ((region?.Outside ?? blendPaste) is { } paste) edited = paste.Paste(edited, input);
        return new EditResult(input, edited, images[0], nfe, sw.Elapsed, controller.Kind);
    }

    /// <summary>DDIM inversion then DDIM decoding with the same prompt (w from <paramref name="guidance"/>, default 0).</summary>
    public ReconstructResult Reconstruct(RgbImage image, string prompt, InversionOptions options, GuidanceSchedule? guidance = null,
        IProgress<StepProgress>? progress = null)
    {
        var sw = Stopwatch.StartNew();
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        using var inversion = Invert(image, prompt, options, progress, sw);
        var (text, _) = Model.EncodePrompts(prompt);
        var x = inversion.Final.Share();
        var grid = Grid.Reverse().ToArray();
        for (int i = 0; i < grid.Length; i++)
        {
            long t = grid[i];
            using var eps = Model.Teacher.Epsilon(x, t, text, [(guidance ?? GuidanceSchedule.None).At(i, t)]);
            x = Ddim.Step(Model.Schedule, eps, t, x, t - Stride).Previous;
            FiniteLatent.Check(x, "DDIM denoising", i, t - Stride);
            progress?.Report(new StepProgress(Phase.Denoise, i + 1, grid.Length, Steps + i + 1, sw.Elapsed));
        }
        var reconstruction = Model.DecodeLatents(x)[0];
        var input = ImageTensors.ToImage(Model.Preprocess(image, options));
        return ReconstructResult.Measure(input, reconstruction, 2 * Steps, sw.Elapsed);
    }
}
