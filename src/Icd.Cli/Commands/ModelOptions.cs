using System.CommandLine;
using System.Text.Json;
using Icd.Imaging;
using Icd.Pipelines;

namespace Icd.Cli.Commands;

/// <summary>Options shared by the model commands, and the bits of behaviour they share.</summary>
internal static class ModelOptions
{
    /// <summary>The bundled Shapes model, relative to the repository (the default --model).</summary>
    public static string DefaultModel => Path.Combine(RepositoryRoot(), "models", "shapes", "icd.json");

    public static Option<string> Model() => new("--model")
    {
        Description = "icd.json of an iCD model (or a diffusers folder: teacher only); default: the bundled Shapes model",
        DefaultValueFactory = _ => DefaultModel,
    };

    public static Option<ulong?> Seed() => new("--seed") { Description = "seed of the start noise (default: the model's)" };

    public static Option<bool> Json() => new("--json") { Description = "print a machine-readable JSON result" };

    public static Option<string?> DType() => new("--dtype")
    {
        Description = "inference precision: fp32, bf16, fp16 or auto (bf16 where the CPU has AVX512_BF16 or AMX); default: the manifest's dtype, else fp32",
    };

    public static Option<int?> Size() => new("--size") { Description = "image size in pixels (default: the model's)" };

    /// <param name="sharing">a loaded model whose networks this one may use (see <see cref="IcdModel.Load(string, IcdModel?)"/>).</param>
    public static IcdModel Load(string path, IcdModel? sharing = null, string? dtype = null)
    {
        var computeType = dtype is null ? (Icd.Torch.DType?)null : InferencePrecision.Parse(dtype, "--dtype");
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"model not found: {path}" + (path == DefaultModel ? " (build the bundled model with `icd shapes build`)" : ""), path);
        return IcdModel.Load(path, sharing, computeType);
    }

    public static RgbImage ReadImage(string path)
    {
        if (Directory.Exists(path)) throw new ArgumentException($"{path} is a folder; give an image file (PNG or JPEG)");
        if (!File.Exists(path)) throw new FileNotFoundException($"image not found: {path}", path);
        return ImageFile.Read(path);
    }

    /// <summary>Writes the PNG with the command's settings in tEXt chunks (so a result records how it was made).</summary>
    public static void WriteImage(string path, RgbImage image, IReadOnlyDictionary<string, string> metadata)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        PngEncoder.Write(path, image, metadata);
    }

    public static void WarnIfTruncated(IcdModel model, string prompt, string option, bool quiet)
    {
        if (model.Tokenizer.Tokenize(prompt).Truncated && !quiet)
            Console.Error.WriteLine($"warning: {option} is longer than 75 tokens and was truncated");
    }

    public static void PrintJson(object value) =>
        Console.WriteLine(JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Parses "0,7,11,19" into numbers, naming the option on error.</summary>
    public static double[] ParseList(string text, string option)
    {
        try
        {
            var values = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            if (values.FirstOrDefault(v => !double.IsFinite(v), 0) is var bad && !double.IsFinite(bad))
                throw new ArgumentException($"{option} '{text}': {bad} is not a finite number");
            return values;
        }
        catch (FormatException)
        {
            throw new ArgumentException($"{option} '{text}': expected comma-separated numbers");
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "icd.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? AppContext.BaseDirectory;
    }
}
