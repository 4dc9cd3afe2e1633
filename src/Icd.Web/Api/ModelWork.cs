using System.Globalization;
using Icd.Editing.Guidance;
using Icd.Imaging;
using Icd.Pipelines;
using Icd.Sampling;
using Icd.Web.Jobs;

namespace Icd.Web.Api;

/// <summary>A job as the queue takes it: what it is, how the page lists it, how many progress
/// reports it makes, and the work itself (run later, on the model thread).</summary>
internal sealed record WorkItem(string Kind, string Summary, int Units, Func<IProgress<StepProgress>, CancellationToken, JobResult> Run);

/// <summary>
/// Turns the page's forms into model work with the same defaults as the command line: the model's
/// <c>icd.json</c> defaults (guidance, τ, Prompt-to-Prompt bounds, amplification of the target's new
/// words, seed). Everything is read and checked here, on the request thread, so bad input is a 400
/// before anything is queued; only the model work runs later.
/// </summary>
internal sealed class ModelWork(IcdModel model, IcdModel guidedModel, long maxUploadBytes)
{
    private EditDefaults D => model.Defaults;

    /// <summary>Forward + reverse steps, the VAE encode and the decode.</summary>
    /// <summary>The CLI's warning for prompts past CLIP's 75 tokens, as part of the job's summary.</summary>
    private string Cut(params (string Name, string Prompt)[] prompts) => string.Concat(prompts
        .Where(p => model.Tokenizer.Tokenize(p.Prompt).Truncated)
        .Select(p => $" · warning: the {p.Name} prompt is longer than 75 tokens; the rest was cut"));

    private int RoundTripUnits => 2 + model.Boundaries.Forward.Count + model.Boundaries.Reverse.Count;

    public WorkItem Generate(FormReader form)
    {
        string prompt = form.Prompt("prompt");
        double w = form.Number("guidance", D.GenerationGuidance, SettingRange.Guidance), tau = form.Number("tau", 1, SettingRange.Fraction);
        var options = new GenerateOptions { Seed = form.Seed("seed", D.Seed), Guidance = new GuidanceSchedule.Dynamic(w, tau) };
        var pipeline = new IcdPipeline(model);
        string summary = string.Create(CultureInfo.InvariantCulture, $"\"{prompt}\" · w {w} · τ {tau} · seed {options.Seed}") + Cut(("prompt", prompt));
        return new WorkItem("generate", summary, model.Boundaries.Reverse.Count + 1, (p, ct) =>
        {
            var r = pipeline.Generate(prompt, options, p, ct);
            return new JobResult(Pngs(("generated", r.Image)), r.Nfe, r.Elapsed.TotalSeconds, new Dictionary<string, double>());
        });
    }

    public WorkItem Reconstruct(FormReader form)
    {
        var image = form.Image("image", maxUploadBytes);
        string prompt = form.Prompt("prompt");
        var inversion = new InversionOptions { Seed = form.Seed("seed", D.Seed) };
        var pipeline = new IcdPipeline(model);
        // Reconstruct reports the encode, each forward and each reverse step (no decode report).
        return new WorkItem("reconstruct", $"\"{prompt}\" · seed {inversion.Seed}{Cut(("prompt", prompt))}", RoundTripUnits - 1, (p, ct) =>
        {
            var r = pipeline.Reconstruct(image, prompt, inversion, progress: p, ct: ct);
            return new JobResult(Pngs(("input", r.Input), ("reconstruction", r.Reconstruction)), r.Nfe, r.Elapsed.TotalSeconds,
                new Dictionary<string, double> { ["psnr"] = Math.Min(r.Psnr, 100), ["ssim"] = r.Ssim, ["mse"] = r.Mse });
        });
    }

    public WorkItem Edit(FormReader form)
    {
        var image = form.Image("image", maxUploadBytes);
        string source = form.Prompt("source"), target = form.Prompt("target");
        string method = form.Choice("method", "p2p", "p2p", "switch", "guided");
        double w = form.Number("guidance", D.Guidance, SettingRange.Guidance);
        double tau = form.Number("tau", D.Tau, SettingRange.Fraction);
        ulong seed = form.Seed("seed", D.Seed);
        var mask = form.OptionalImage("mask", maxUploadBytes);
        if (mask is not null && method == "guided") throw new BadRequestException("'mask' works with the methods p2p and switch, not guided");
        if (mask is not null && (mask.Width != image.Width || mask.Height != image.Height))
            throw new BadRequestException($"'mask' is {mask.Width}×{mask.Height} but 'image' is {image.Width}×{image.Height}; paint the mask over the image itself");
        string summary = string.Create(CultureInfo.InvariantCulture, $"{method}: \"{source}\" → \"{target}\" · w {w} · τ {tau} · seed {seed}{(mask is null ? "" : " · inside the painted mask")}") + Cut(("source", source), ("target", target));
        if (method == "guided")
        {
            var editor = new GuidedEditor(guidedModel);
            var options = new GuidedEditOptions { Seed = seed, CfgSchedule = GuidedEditOptions.ScheduleEndingAt(w) };
            return new WorkItem("edit", summary + $" · CFG per step {string.Join(", ", options.CfgSchedule.Select(v => v.ToString("0.##", CultureInfo.InvariantCulture)))}", RoundTripUnits, (p, ct) =>
            {
                var r = editor.Edit(image, source, target, options, p, ct);
                return new JobResult(Pngs(("input", r.Input), ("edited", r.Image)), r.Nfe, r.Elapsed.TotalSeconds,
                    new Dictionary<string, double> { ["backward_passes"] = r.BackwardPasses });
            });
        }
        var edit = new EditOptions
        {
            Method = method == "switch" ? EditMethod.PromptSwitch : EditMethod.PromptToPrompt,
            Inversion = new InversionOptions { Seed = seed },
            Guidance = new GuidanceSchedule.Dynamic(w, tau),
            SourcePromptAboveTau = model.SourcePromptAboveTauFor(method == "switch" ? EditMethod.PromptSwitch : EditMethod.PromptToPrompt, tau),
            PromptToPrompt = D.PromptToPrompt(source, target, Blend(form, source, target)),
            Region = mask,
            IncludeReconstruction = true,
        };
        var pipeline = new IcdPipeline(model);
        return new WorkItem("edit", summary, RoundTripUnits, (p, ct) =>
        {
            var r = pipeline.Edit(image, source, target, edit, p, ct);
            var images = r.Reconstruction is { } recon
                ? Pngs(("input", r.Input), ("reconstruction", recon), ("edited", r.Image))
                : Pngs(("input", r.Input), ("edited", r.Image));
            return new JobResult(images, r.Nfe, r.Elapsed.TotalSeconds, new Dictionary<string, double>());
        });
    }

    /// <summary>Local blend words "source-word target-word"; each must occur in its prompt.</summary>
    private static (string, string)? Blend(FormReader form, string source, string target)
    {
        string text = form.Optional("blend");
        if (text.Length == 0) return null;
        var parts = text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2) throw new BadRequestException($"'blend' is '{text}'; expected two words, \"source-word target-word\"");
        if (!Words(source).Contains(parts[0])) throw new BadRequestException($"'blend': '{parts[0]}' is not a word of the source prompt");
        if (!Words(target).Contains(parts[1])) throw new BadRequestException($"'blend': '{parts[1]}' is not a word of the target prompt");
        return (parts[0], parts[1]);
    }

    private static string[] Words(string prompt) => prompt.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static Dictionary<string, byte[]> Pngs(params (string Name, RgbImage Image)[] images) =>
        images.ToDictionary(i => i.Name, i => PngEncoder.Encode(i.Image));
}
