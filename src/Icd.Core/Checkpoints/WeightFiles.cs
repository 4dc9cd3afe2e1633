using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Checkpoints;

/// <summary>Finds a component's weight file in a diffusers folder (with the optional variant,
/// e.g. <c>diffusion_pytorch_model.fp16.safetensors</c>) and opens it as a lazy source.</summary>
public static class WeightFiles
{
    public static string Find(string componentDirectory, string baseName, string? variant)
    {
        var candidates = new List<string>();
        if (variant is not null) candidates.Add(Path.Combine(componentDirectory, $"{baseName}.{variant}.safetensors"));
        candidates.Add(Path.Combine(componentDirectory, $"{baseName}.safetensors"));
        foreach (var c in candidates)
            if (File.Exists(c)) return c;
        string bin = Path.Combine(componentDirectory, $"{baseName}.bin");
        if (File.Exists(bin))
            throw new NotSupportedException($"{bin}: pickled .bin weights are not loaded directly; convert them once with `icd convert {bin}`");
        throw new FileNotFoundException($"no weights in {componentDirectory}: looked for {string.Join(", ", candidates.Select(Path.GetFileName))}",
            candidates[0]);
    }

    /// <summary>Loads <paramref name="path"/> into <paramref name="module"/>, strictly, converting
    /// each tensor to the parameter's dtype.</summary>
    public static void LoadInto(Module module, string path, Func<ITensorSource, ITensorSource>? adapt = null, Func<string, bool>? ignorable = null)
    {
        using var file = SafetensorsFile.Open(path);
        ITensorSource source = new SafetensorsSource(file, ignorable);
        if (adapt is not null) source = adapt(source);
        module.LoadStateDict(source, strict: true);
    }
}
