using System.CommandLine;
using Icd.Pipelines;

namespace Icd.Cli.Commands;

/// <summary><c>icd invert</c>: encode an image with the forward model, decode it back with the
/// same prompt, write the reconstruction and print MSE, PSNR and SSIM.</summary>
internal static class InvertCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var image = new Option<string>("--image") { Description = "input PNG or JPEG", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "a description of the image (the source prompt)", Required = true };
        var seed = ModelOptions.Seed();
        var start = new Option<long?>("--start-timestep") { Description = "forward start timestep (default: the model's first forward timestep: 19 for iCD; the paper's Inverse-and-Edit model starts at 0)" };
        var stretch = new Option<bool>("--stretch") { Description = "resize without centre-cropping (iCD's load_512)" };
        var output = new Option<string>("--out") { Description = "reconstruction PNG", DefaultValueFactory = _ => "reconstruction.png" };
        var ddim = new Option<int?>("--ddim") { Description = "baseline: N-step DDIM inversion and decoding with the teacher (e.g. 50)" };
        var vae = new Option<bool>("--vae") { Description = "baseline: the VAE round trip alone (encode, decode; the floor of every inversion)" };
        var json = ModelOptions.Json();
        var dtype = ModelOptions.DType();
        var command = new Command("invert", "Invert an image into noise and reconstruct it; prints reconstruction metrics");
        foreach (var o in new Option[] { model, image, prompt, seed, start, stretch, output, ddim, vae, json, dtype }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            Icd.Imaging.OutputFile.Check(parse.GetValue(output), "--out", ".png");
            using var m = ModelOptions.Load(parse.GetValue(model)!, dtype: parse.GetValue(dtype));
            var input = ModelOptions.ReadImage(parse.GetValue(image)!);
            string text = parse.GetValue(prompt)!;
            if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("--prompt is empty");
            ModelOptions.WarnIfTruncated(m, text, "--prompt", parse.GetValue(json));
            var options = new InversionOptions
            {
                Seed = parse.GetValue(seed) ?? m.Defaults.Seed,
                StartTimestep = parse.GetValue(start),
                Resize = parse.GetValue(stretch) ? ResizeMode.Stretch : ResizeMode.CenterCrop,
            };
            var pipeline = new IcdPipeline(m);
            int units = 1 + m.Boundaries.Forward.Count + m.Boundaries.Reverse.Count;
            if (parse.GetValue(vae) && parse.GetValue(ddim) is not null) throw new ArgumentException("--vae and --ddim exclude each other");
            var r = parse.GetValue(vae) ? pipeline.AutoencoderRoundTrip(input, options)
                : parse.GetValue(ddim) is { } n
                ? ConsoleProgress.Run("ddim invert", 2 * n, parse.GetValue(json), p => new DdimPipeline(m, n).Reconstruct(input, text, options, null, p))
                : ConsoleProgress.Run("invert", units, parse.GetValue(json), p => pipeline.Reconstruct(input, text, options, null, p));
            string outPath = parse.GetValue(output)!;
            ModelOptions.WriteImage(outPath, r.Reconstruction, new Dictionary<string, string>
            {
                ["icd:command"] = "invert", ["icd:prompt"] = text, ["icd:seed"] = options.Seed.ToString(), ["icd:model"] = m.Source,
            });
            if (parse.GetValue(json))
                ModelOptions.PrintJson(new { output = outPath, mse = r.Mse, psnr = r.Psnr, ssim = r.Ssim, nfe = r.Nfe, seconds = r.Elapsed.TotalSeconds });
            else
                Console.WriteLine($"wrote {outPath}  MSE {r.Mse:F5}  PSNR {r.Psnr:F2} dB  SSIM {r.Ssim:F4}  ({r.Nfe} NFE, {r.Elapsed.TotalSeconds:F2} s)");
            return 0;
        });
        return command;
    }
}
