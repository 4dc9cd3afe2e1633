using System.CommandLine;
using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Cli.Commands;

/// <summary><c>icd convert IN OUT</c>: a torch.save checkpoint (.pt/.bin/.ckpt, e.g. iCD's
/// sd15_cfg_distill.pt) or a safetensors file → safetensors, optionally cast and with a key
/// prefix stripped. Tensors stream one at a time; the output is written atomically.</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "torch.save file (.pt, .bin, .ckpt) or .safetensors" };
        var output = new Argument<string>("output") { Description = "the .safetensors file to write" };
        var dtype = new Option<string?>("--dtype") { Description = "cast floating-point tensors: fp32, fp16 or bf16" };
        var strip = new Option<string?>("--strip-prefix") { Description = "keep only keys starting with this prefix, and remove it (e.g. 'state_dict.')" };
        var command = new Command("convert", "Convert a checkpoint to safetensors");
        command.Arguments.Add(input);
        command.Arguments.Add(output);
        command.Options.Add(dtype);
        command.Options.Add(strip);
        command.SetAction(parse =>
        {
            string inPath = parse.GetValue(input)!, outPath = parse.GetValue(output)!;
            if (!outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"output '{outPath}' must end in .safetensors");
            DType? cast = parse.GetValue(dtype) switch
            {
                null => null,
                "fp32" or "float32" => DType.Float32,
                "fp16" or "float16" => DType.Float16,
                "bf16" or "bfloat16" => DType.BFloat16,
                var other => throw new ArgumentException($"--dtype '{other}': expected fp32, fp16 or bf16"),
            };
            string? prefix = parse.GetValue(strip);
            int count = CheckpointConverter.Convert(inPath, outPath, cast, prefix);
            Console.WriteLine($"wrote {count} tensors to {outPath}");
            return 0;
        });
        return command;
    }
}
