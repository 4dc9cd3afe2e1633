using System.CommandLine;
using Icd.Pipelines;
using Icd.Sampling;

namespace Icd.Cli.Commands;

/// <summary><c>icd generate</c>: prompt → image in the reverse model's 3–4 steps.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var prompt = new Option<string>("--prompt") { Description = "what to generate", Required = true };
        var guidance = new Option<double?>("--guidance") { Description = "guidance w (embedded units: classical CFG − 1; default: the model's)" };
        var tau = new Option<double>("--tau") { Description = "dynamic CFG: guidance only where t ≤ 1000·tau (1 = constant)", DefaultValueFactory = _ => 1.0 };
        var seed = ModelOptions.Seed();
        var size = ModelOptions.Size();
        var output = new Option<string>("--out") { Description = "output PNG", DefaultValueFactory = _ => "generated.png" };
        var json = ModelOptions.Json();
        var dtype = ModelOptions.DType();
        var command = new Command("generate", "Generate an image from a prompt with the reverse consistency model");
        foreach (var o in new Option[] { model, prompt, guidance, tau, seed, size, output, json, dtype }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            Icd.Imaging.OutputFile.Check(parse.GetValue(output), "--out", ".png");
            SettingRange.Guidance.Check(parse.GetValue(guidance), "--guidance");
            SettingRange.Fraction.Check(parse.GetValue(tau), "--tau");
            using var m = ModelOptions.Load(parse.GetValue(model)!, dtype: parse.GetValue(dtype));
            string text = parse.GetValue(prompt)!;
            if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("--prompt is empty");
            ModelOptions.WarnIfTruncated(m, text, "--prompt", parse.GetValue(json));
            var options = new GenerateOptions
            {
                Seed = parse.GetValue(seed) ?? m.Defaults.Seed,
                Guidance = new GuidanceSchedule.Dynamic(parse.GetValue(guidance) ?? m.Defaults.GenerationGuidance, parse.GetValue(tau)),
                Size = parse.GetValue(size),
            };
            var pipeline = new IcdPipeline(m);
            var result = ConsoleProgress.Run("generate", m.Boundaries.Reverse.Count + 1, parse.GetValue(json),
                p => pipeline.Generate(text, options, p));
            string outPath = parse.GetValue(output)!;
            ModelOptions.WriteImage(outPath, result.Image, new Dictionary<string, string>
            {
                ["icd:command"] = "generate", ["icd:prompt"] = text, ["icd:seed"] = options.Seed.ToString(),
                ["icd:guidance"] = options.Guidance.ToString(), ["icd:model"] = m.Source,
            });
            if (parse.GetValue(json))
                ModelOptions.PrintJson(new { output = outPath, seed = options.Seed, nfe = result.Nfe, seconds = result.Elapsed.TotalSeconds });
            else
                Console.WriteLine($"wrote {outPath}  ({result.Nfe} NFE, {result.Elapsed.TotalSeconds:F2} s)");
            return 0;
        });
        return command;
    }
}
