using Icd.Editing.Guidance;
using Icd.Imaging;
using Icd.Pipelines;
using Icd.Sampling;

namespace Icd.Benchmarks;

/// <summary>An edit made for a benchmark: the (preprocessed) source at the model's size, the result,
/// network evaluations and wall time.</summary>
public sealed record BenchmarkEdit(RgbImage Source, RgbImage Edited, int Nfe, TimeSpan Elapsed);

/// <summary>
/// The editing methods the benchmarks compare, each with the settings of the papers' scripts (the
/// model manifest's defaults): <c>p2p</c> (iCD + Prompt-to-Prompt: dynamic CFG w 19, τ 0.8, cross 0.3,
/// self 0.6, new words ×4, LocalBlend on the blended words), <c>switch</c> (prompt switch), <c>guided</c>
/// (Inverse-and-Edit's Guide-and-Rescale), <c>ddim</c> (50-step DDIM inversion + P2P on the teacher,
/// classical CFG 8), <c>npi</c> (negative-prompt inversion: the same with the source prompt as CFG's
/// unconditional branch; the reference's settings: CFG 8, cross 0.2, self 0.5, amplify 3; it needs a
/// plain teacher, e.g. a manifest of SD1.5 alone). NTI is not ported.
/// </summary>
public static class EditingMethods
{
    public static readonly string[] Names = ["p2p", "switch", "guided", "ddim", "npi"];

    public static IReadOnlyList<string> Parse(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        foreach (var n in names)
        {
            if (n == "nti")
                throw new ArgumentException($"--methods nti: null-text inversion is not ported to icd yet; available: {string.Join(", ", Names)}");
            if (!Names.Contains(n)) throw new ArgumentException($"--methods '{n}': expected some of {string.Join(", ", Names)}");
        }
        if (names.Count == 0) throw new ArgumentException("--methods is empty");
        return names.Distinct().ToList();
    }

    public static BenchmarkEdit Edit(IcdModel model, string method, RgbImage image, string source, string target,
        (string Source, string Target)? blend, ulong? seed = null, IProgress<StepProgress>? progress = null, CancellationToken ct = default)
    {
        var d = model.Defaults;
        if (method == "guided")
        {
            var guided = new GuidedEditOptions { Seed = seed ?? d.Seed, CfgSchedule = GuidedEditOptions.ScheduleEndingAt(d.Guidance) };
            var g = new GuidedEditor(model).Edit(image, source, target, guided, progress, ct);
            return new BenchmarkEdit(g.Input, g.Image, g.Nfe, g.Elapsed);
        }
        // A blended word missing from its prompt (PIE's removals and additions): no LocalBlend. The
        // reference would blend on the side that has its word; icd's LocalBlend needs both.
        if (blend is { } words && (!HasWord(model, source, words.Source) || !HasWord(model, target, words.Target))) blend = null;
        bool ddim = method is "ddim" or "npi";
        // The DDIM baselines of the papers: classical CFG 8 (w = 7), constant; NPI with the reference
        // launch script's P2P settings (cross 0.2, self 0.5, amplify 3).
        var defaults = method == "npi" ? d with { Guidance = 7, Tau = 1, CrossReplace = 0.2, SelfReplace = 0.5, Amplify = 3 }
            : ddim ? d with { Guidance = 7, Tau = 1 } : d;
        var editMethod = method == "switch" ? EditMethod.PromptSwitch : EditMethod.PromptToPrompt;
        var options = new EditOptions
        {
            Method = editMethod,
            Inversion = new InversionOptions { Seed = seed ?? d.Seed },
            Guidance = new GuidanceSchedule.Dynamic(defaults.Guidance, defaults.Tau),
            SourcePromptAboveTau = model.SourcePromptAboveTauFor(editMethod, defaults.Tau),
            PromptToPrompt = defaults.PromptToPrompt(source, target, blend),
        };
        var result = ddim ? new DdimPipeline(model, 50).Edit(image, source, target, options, progress, ct, negativePromptInversion: method == "npi")
            : new IcdPipeline(model).Edit(image, source, target, options, progress, ct);
        return new BenchmarkEdit(result.Input, result.Image, result.Nfe, result.Elapsed);
    }

    private static bool HasWord(IcdModel model, string prompt, string word) =>
        Editing.PromptToPrompt.WordMaps.TokensOfWord(model.Tokenizer.Tokenize(prompt), word).Length > 0;
}
