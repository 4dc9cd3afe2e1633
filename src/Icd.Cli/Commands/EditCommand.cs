using System.CommandLine;
using System.Globalization;
using Icd.Editing;
using Icd.Editing.PromptToPrompt;
using Icd.Imaging;
using Icd.Pipelines;
using Icd.Sampling;

namespace Icd.Cli.Commands;

/// <summary><c>icd edit</c>: invert with the source prompt, decode with the target prompt.</summary>
internal static class EditCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var image = new Option<string>("--image") { Description = "input PNG or JPEG", Required = true };
        var source = new Option<string>("--source") { Description = "prompt describing the input image", Required = true };
        var target = new Option<string>("--target") { Description = "prompt describing the edited image", Required = true };
        var method = new Option<string>("--method") { Description = "p2p (iCD + Prompt-to-Prompt), switch (prompt switch), guided (Inverse-and-Edit), ddim (50-step DDIM + P2P baseline)", DefaultValueFactory = _ => "p2p" };
        var ddimSteps = new Option<int>("--ddim-steps") { Description = "ddim: number of DDIM steps", DefaultValueFactory = _ => 50 };
        var guidance = new Option<double?>("--guidance") { Description = "target-branch guidance w (embedded units: classical CFG − 1; default: the model's defaults.guidance, 19 for iCD SD1.5 and 3 for the Shapes model; guided edits: where the scaled CFG schedule ends, unless --cfg-schedule)" };
        var tau = new Option<double?>("--tau") { Description = "dynamic CFG: guidance only where t ≤ 1000·tau (default: the model's, 0.8)" };
        var cross = new Option<string?>("--cross-replace") { Description = "cross-attention replace bound, 'b' or 'a,b' (fraction of steps; default: the model's, 0.3)" };
        var self = new Option<string?>("--self-replace") { Description = "self-attention replace bound, 'b' or 'a,b' (default: the model's, 0.6)" };
        var blend = new Option<string?>("--blend") { Description = "LocalBlend words \"source-word target-word\"" };
        var amplify = new Option<string[]>("--amplify") { Description = "word=factor to amplify in the target's cross-attention (repeatable); default: new target words × the model's factor", AllowMultipleArgumentsPerToken = false };
        var noAmplify = new Option<bool>("--no-amplify") { Description = "do not amplify any word" };
        var steps = new Option<string?>("--steps") { Description = "reverse timesteps, e.g. 259,519,779,999 (default: the model's)" };
        var matchColors = new Option<bool>("--match-colors") { Description = "match the output's global colour statistics to the input's (guided edits always do, as Inverse-and-Edit's reference)" };
        var seed = ModelOptions.Seed();
        var output = new Option<string>("--out") { Description = "edited PNG", DefaultValueFactory = _ => "edited.png" };
        var reconstruction = new Option<string?>("--reconstruction") { Description = "also write the reconstruction (source branch) here" };
        var featureGuidance = new Option<string?>("--feature-guidance") { Description = "guided: features_map_l2 weight per step, e.g. 0.5,0.5,0.5,0.5" };
        var attentionGuidance = new Option<string?>("--attention-guidance") { Description = "guided: self_attn_map_l2 weight per step, e.g. 0,20000,20000,20000" };
        var rescale = new Option<string?>("--rescale") { Description = "guided: bounds lo,hi of the guidance-to-CFG norm ratio (default 0,1)" };
        var cfgSchedule = new Option<string?>("--cfg-schedule") { Description = "guided: w per reverse step (default: 0, 7, 11, 19 scaled to end at the model's guidance, or --guidance)" };
        var mask = new Option<string?>("--mask") { Description = "PNG or JPEG of the image's size: white where the edit may change the image, black where it must keep the input (p2p, switch, ddim)" };
        var renoise = new Option<double?>("--renoise") { Description = "with --mask: share of the inverted noise's variance replaced by fresh noise inside the mask, 0–1 (default 0.25)" };
        var noPaste = new Option<bool>("--no-paste") { Description = "with --blend: decode LocalBlend's outside as it is, as the reference does (default: keep the input's pixels outside the blend mask, which the VAE decoder otherwise tints with the edit's colour)" };
        var json = ModelOptions.Json();
        var dtype = ModelOptions.DType();
        var command = new Command("edit", "Edit an image: invert with the source prompt, decode with the target prompt");
        foreach (var o in new Option[] { model, image, source, target, method, guidance, tau, cross, self, blend, amplify, noAmplify, steps, matchColors, seed, output, reconstruction,
                     featureGuidance, attentionGuidance, rescale, cfgSchedule, ddimSteps, mask, renoise, noPaste, json, dtype })
            command.Options.Add(o);
        command.SetAction(parse =>
        {
            Icd.Imaging.OutputFile.Check(parse.GetValue(output), "--out", ".png");
            if (parse.GetValue(reconstruction) is { } reconOut) Icd.Imaging.OutputFile.Check(reconOut, "--reconstruction", ".png");
            SettingRange.Guidance.Check(parse.GetValue(guidance), "--guidance");
            SettingRange.Fraction.Check(parse.GetValue(tau), "--tau");
            SettingRange.Fraction.Check(parse.GetValue(renoise), "--renoise");
            var reverseSteps = parse.GetValue(steps) is { } stepList ? SettingRange.ParseTimesteps(stepList, "--steps") : null;
            var explicitAmplify = ParseAmplify(parse.GetValue(noAmplify) ? [] : parse.GetValue(amplify) ?? []);
            bool quiet = parse.GetValue(json);
            string src = parse.GetValue(source)!, trg = parse.GetValue(target)!;
            if (string.IsNullOrWhiteSpace(src)) throw new ArgumentException("--source is empty");
            if (string.IsNullOrWhiteSpace(trg)) throw new ArgumentException("--target is empty");
            var editMethod = parse.GetValue(method) switch
            {
                "p2p" => EditMethod.PromptToPrompt,
                "switch" => EditMethod.PromptSwitch,
                "guided" => EditMethod.Guided,
                "ddim" => EditMethod.PromptToPrompt,
                var other => throw new ArgumentException($"--method '{other}': expected p2p, switch, guided or ddim"),
            };
            var input = ModelOptions.ReadImage(parse.GetValue(image)!);
            RgbImage? region = null;
            if (parse.GetValue(mask) is { } maskPath)
            {
                if (editMethod == EditMethod.Guided) throw new ArgumentException("--mask works with --method p2p, switch or ddim, not guided");
                region = ModelOptions.ReadImage(maskPath);
                if (region.Width != input.Width || region.Height != input.Height)
                    throw new ArgumentException($"--mask {maskPath} is {region.Width}×{region.Height} but --image is {input.Width}×{input.Height}: they must be the same size");
            }
            double renoiseShare = parse.GetValue(renoise) ?? new EditOptions().RegionRenoise;
            if (parse.GetValue(renoise) is not null && region is null) throw new ArgumentException("--renoise needs --mask");
            using var m = ModelOptions.Load(parse.GetValue(model)!, dtype: parse.GetValue(dtype));
            var model1 = reverseSteps is not null ? WithSteps(m, reverseSteps) : m;
            ModelOptions.WarnIfTruncated(m, src, "--source", quiet);
            ModelOptions.WarnIfTruncated(m, trg, "--target", quiet);
            bool ddim = parse.GetValue(method) == "ddim";
            // The DDIM baselines of the papers use classical CFG 8 (w = 7), constant.
            var d = ddim ? m.Defaults with { Guidance = 7, Tau = 1 } : m.Defaults;
            // Explicit --amplify words replace the default (the target's new words × the model's factor).
            var amplified = parse.GetValue(noAmplify) || explicitAmplify.Count > 0 ? explicitAmplify : EditWords.DefaultAmplify(src, trg, d.Amplify);
            (string, string)? blendWords = null;
            if (parse.GetValue(blend) is { } b)
            {
                var parts = b.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length != 2) throw new ArgumentException($"--blend '{b}': expected two words, \"source-word target-word\"");
                blendWords = (parts[0], parts[1]);
            }
            var options = new EditOptions
            {
                Method = editMethod,
                Inversion = new InversionOptions { Seed = parse.GetValue(seed) ?? d.Seed },
                Guidance = new GuidanceSchedule.Dynamic(parse.GetValue(guidance) ?? d.Guidance, parse.GetValue(tau) ?? d.Tau),
                SourcePromptAboveTau = model1.SourcePromptAboveTauFor(editMethod, parse.GetValue(tau) ?? d.Tau),
                PromptToPrompt = new PromptToPromptOptions
                {
                    CrossReplace = Bounds(parse.GetValue(cross), d.CrossReplace, "--cross-replace"),
                    SelfReplace = Bounds(parse.GetValue(self), d.SelfReplace, "--self-replace"),
                    Amplify = amplified,
                    Blend = blendWords,
                    PasteInputOutsideBlend = !parse.GetValue(noPaste),
                },
                MatchColors = parse.GetValue(matchColors),
                Region = region,
                RegionRenoise = renoiseShare,
                IncludeReconstruction = parse.GetValue(reconstruction) is not null,
            };
            if (editMethod == EditMethod.Guided)
                return RunGuided(parse, model1, input, src, trg, quiet, parse.GetValue(output)!, parse.GetValue(seed), parse.GetValue(guidance), parse.GetValue(matchColors),
                    parse.GetValue(featureGuidance), parse.GetValue(attentionGuidance), parse.GetValue(rescale), parse.GetValue(cfgSchedule));
            var pipeline = new IcdPipeline(model1);
            int units = 1 + model1.Boundaries.Forward.Count + model1.Boundaries.Reverse.Count + 1;
            var result = ddim
                ? ConsoleProgress.Run("ddim edit", 2 * parse.GetValue(ddimSteps), quiet, p => new DdimPipeline(m, parse.GetValue(ddimSteps)).Edit(input, src, trg, options, p))
                : ConsoleProgress.Run("edit", units, quiet, p => pipeline.Edit(input, src, trg, options, p));
            var metadata = new Dictionary<string, string>
            {
                ["icd:command"] = "edit", ["icd:source"] = src, ["icd:target"] = trg, ["icd:method"] = parse.GetValue(method)!,
                ["icd:seed"] = options.Inversion.Seed.ToString(CultureInfo.InvariantCulture), ["icd:guidance"] = options.Guidance.ToString(),
                ["icd:p2p"] = options.PromptToPrompt.ToString(), ["icd:model"] = m.Source,
            };
            if (parse.GetValue(mask) is { } usedMask) metadata["icd:mask"] = $"{usedMask} (renoise {renoiseShare.ToString(CultureInfo.InvariantCulture)})";
            string outPath = parse.GetValue(output)!;
            ModelOptions.WriteImage(outPath, result.Image, metadata);
            if (parse.GetValue(reconstruction) is { } reconPath && result.Reconstruction is not null)
                ModelOptions.WriteImage(reconPath, result.Reconstruction, metadata);
            if (quiet)
                ModelOptions.PrintJson(new { output = outPath, nfe = result.Nfe, seconds = result.Elapsed.TotalSeconds, controller = result.Controller, amplified });
            else
                Console.WriteLine($"wrote {outPath}  ({result.Nfe} NFE, {result.Elapsed.TotalSeconds:F2} s, attention control: {result.Controller})");
            return 0;
        });
        return command;
    }

    /// <summary>Inverse-and-Edit: guidance through the reverse model (METHOD C2).</summary>
    private static int RunGuided(ParseResult parse, IcdModel m, Icd.Imaging.RgbImage input, string src, string trg, bool quiet, string outPath,
        ulong? seed, double? guidance, bool matchColors, string? features, string? attention, string? rescale, string? cfg)
    {
        // As the web page: the model's seed, and the paper's CFG schedule scaled to end at the model's w
        // (0, 7, 11, 19 for iCD SD1.5's w = 19), unless --cfg-schedule gives one.
        var defaults = new Icd.Editing.Guidance.GuidedEditOptions();
        var options = defaults with
        {
            FeatureWeights = features is null ? defaults.FeatureWeights : ModelOptions.ParseList(features, "--feature-guidance"),
            AttentionWeights = attention is null ? defaults.AttentionWeights : ModelOptions.ParseList(attention, "--attention-guidance"),
            CfgSchedule = cfg is null ? Icd.Editing.Guidance.GuidedEditOptions.ScheduleEndingAt(guidance ?? m.Defaults.Guidance) : ModelOptions.ParseList(cfg, "--cfg-schedule"),
            Rescale = rescale is null ? defaults.Rescale : Pair(ModelOptions.ParseList(rescale, "--rescale"), "--rescale"),
            Seed = seed ?? m.Defaults.Seed,
            MatchColors = matchColors || defaults.MatchColors,
        };
        var editor = new Icd.Editing.Guidance.GuidedEditor(m);
        int units = 1 + m.Boundaries.Forward.Count + m.Boundaries.Reverse.Count + 1;
        var result = ConsoleProgress.Run("guided edit", units, quiet, p => editor.Edit(input, src, trg, options, p));
        ModelOptions.WriteImage(outPath, result.Image, new Dictionary<string, string>
        {
            ["icd:command"] = "edit", ["icd:method"] = "guided", ["icd:source"] = src, ["icd:target"] = trg,
            ["icd:seed"] = options.Seed.ToString(CultureInfo.InvariantCulture), ["icd:cfg"] = string.Join(",", options.CfgSchedule),
            ["icd:feature-guidance"] = string.Join(",", options.FeatureWeights), ["icd:attention-guidance"] = string.Join(",", options.AttentionWeights),
            ["icd:rescale"] = $"{options.Rescale.Lo},{options.Rescale.Hi}", ["icd:model"] = m.Source,
        });
        if (quiet)
            ModelOptions.PrintJson(new
            {
                output = outPath, nfe = result.Nfe, backward_passes = result.BackwardPasses, seconds = result.Elapsed.TotalSeconds,
                rescale_factors = result.RescaleFactors.Select(k => double.IsNaN(k) ? (double?)null : k),
                peak_rss_gb = Math.Round(Icd.Cli.Bench.ModelBenchmark.PeakRssBytes() / 1e9, 2),
            });
        else
            Console.WriteLine($"wrote {outPath}  ({result.Nfe} NFE, {result.BackwardPasses} backward passes, {result.Elapsed.TotalSeconds:F2} s)");
        return 0;
    }

    /// <summary>--amplify word=factor items, each factor in <see cref="SettingRange.AmplifyFactor"/>.</summary>
    private static Dictionary<string, double> ParseAmplify(string[] items)
    {
        var amplified = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            int eq = item.LastIndexOf('=');
            if (eq <= 0 || !double.TryParse(item[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double f))
                throw new ArgumentException($"--amplify '{item}': expected word=factor");
            amplified[item[..eq]] = SettingRange.AmplifyFactor.Check(f, $"--amplify {item[..eq]}");
        }
        return amplified;
    }

    private static (double, double) Pair(double[] values, string option) =>
        values.Length == 2 ? (values[0], values[1]) : throw new ArgumentException($"{option}: expected two numbers lo,hi");

    private static (double, double) Bounds(string? text, double fallback, string option)
    {
        if (text is null) return (0, fallback);
        var values = ModelOptions.ParseList(text, option);
        return values.Length switch
        {
            1 => (0, values[0]),
            2 => (values[0], values[1]),
            _ => throw new ArgumentException($"{option} '{text}': expected 'end' or 'start,end'"),
        };
    }

    /// <summary>Overrides the reverse timesteps; the forward list follows iCD's pairing
    /// (start, then the reverse list without its last entry).</summary>
    private static IcdModel WithSteps(IcdModel m, long[] reverse)
    {
        var forward = new[] { m.Boundaries.ForwardStart }.Concat(reverse.Order().SkipLast(1)).ToArray();
        return IcdModel.FromNetworks(m.Networks, new IcdManifest { Base = m.Source, ReverseTimesteps = reverse, ForwardTimesteps = forward, Defaults = m.Defaults, PyramidNoise = m.InversionNoise.PyramidDiscount, GenerationNoise = m.GenerationNoise.PyramidDiscount }, m.Source);
    }
}
