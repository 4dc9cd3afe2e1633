using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Lora;

/// <summary>LoRA weights for one model: per module path, (A, B, scale).</summary>
public sealed class LoraWeights : IDisposable
{
    public LoraWeights(Dictionary<string, LoraAdapter> adapters, string source)
    {
        Adapters = adapters;
        Source = source;
    }

    public Dictionary<string, LoraAdapter> Adapters { get; }
    public string Source { get; }

    public long ParameterCount => Adapters.Values.Sum(a => a.A.NumberOfElements + a.B.NumberOfElements);

    public void Dispose()
    {
        foreach (var a in Adapters.Values) a.Dispose();
    }
}

/// <summary>
/// Reads and writes LoRA files.
/// <list type="bullet">
/// <item>PEFT / diffusers keys (iCD's released files): <c>[unet.]base_model.model.&lt;module path&gt;.lora_A.weight</c>
/// and <c>.lora_B.weight</c>, no alpha tensors: alpha is a setting (iCD: 8, so scale 8/64 = 0.125).</item>
/// <item>kohya keys: <c>lora_unet_&lt;module path with '_' for '.'&gt;.lora_down.weight</c>, <c>.lora_up.weight</c>,
/// and an optional <c>.alpha</c> scalar (absent: alpha = rank).</item>
/// </list>
/// Every key must name a LoRA-capable layer of the model with matching shapes; anything else is an
/// error naming the file and the key.
/// </summary>
public static class LoraFile
{
    public const double IcdAlpha = 8;

    private const string PeftPrefix = "base_model.model.";

    public static LoraWeights Read(string path, Module model, double peftAlpha = IcdAlpha)
    {
        using var file = SafetensorsFile.Open(path);
        var names = file.Names.ToList();
        if (names.Count == 0) throw new InvalidDataException($"{path}: the file holds no tensors");
        var layers = model.NamedModules().Where(m => m.Module is ILoraLayer)
            .ToDictionary(m => m.Name, m => (ILoraLayer)m.Module, StringComparer.Ordinal);
        bool kohya = names.Any(n => n.StartsWith("lora_unet_", StringComparison.Ordinal));
        return kohya ? ReadKohya(path, file, names, layers) : ReadPeft(path, file, names, layers, peftAlpha);
    }

    private static LoraWeights ReadPeft(string path, SafetensorsFile file, List<string> names, Dictionary<string, ILoraLayer> layers, double alpha)
    {
        var pairs = new Dictionary<string, (string? A, string? B)>(StringComparer.Ordinal);
        foreach (var key in names)
        {
            string rest = key.StartsWith("unet.", StringComparison.Ordinal) ? key[5..] : key;
            if (!rest.StartsWith(PeftPrefix, StringComparison.Ordinal))
                throw new InvalidDataException($"{path}: key '{key}' is neither PEFT ('unet.base_model.model.<module>.lora_A.weight') nor kohya ('lora_unet_...')");
            rest = rest[PeftPrefix.Length..];
            string module;
            bool isA;
            if (rest.EndsWith(".lora_A.weight", StringComparison.Ordinal)) { module = rest[..^".lora_A.weight".Length]; isA = true; }
            else if (rest.EndsWith(".lora_B.weight", StringComparison.Ordinal)) { module = rest[..^".lora_B.weight".Length]; isA = false; }
            else throw new InvalidDataException($"{path}: key '{key}' is not a lora_A/lora_B weight");
            pairs.TryGetValue(module, out var p);
            pairs[module] = isA ? (key, p.B) : (p.A, key);
        }
        return Build(path, file, pairs, layers, rank => alpha / rank, null);
    }

    private static LoraWeights ReadKohya(string path, SafetensorsFile file, List<string> names, Dictionary<string, ILoraLayer> layers)
    {
        var byKohyaName = layers.Keys.ToDictionary(p => "lora_unet_" + p.Replace('.', '_'), p => p, StringComparer.Ordinal);
        var pairs = new Dictionary<string, (string? A, string? B)>(StringComparer.Ordinal);
        var alphas = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in names)
        {
            int dot = key.IndexOf('.');
            string stem = dot < 0 ? key : key[..dot], suffix = dot < 0 ? "" : key[(dot + 1)..];
            if (!byKohyaName.TryGetValue(stem, out var module))
                throw new InvalidDataException($"{path}: key '{key}' names no LoRA-capable module of the model");
            pairs.TryGetValue(module, out var p);
            switch (suffix)
            {
                case "lora_down.weight": pairs[module] = (key, p.B); break;
                case "lora_up.weight": pairs[module] = (p.A, key); break;
                case "alpha": alphas[module] = key; break;
                default: throw new InvalidDataException($"{path}: key '{key}' is not lora_down/lora_up/alpha");
            }
        }
        return Build(path, file, pairs, layers, rank => rank, module =>
        {
            if (!alphas.TryGetValue(module, out var k)) return null;
            using var t = file.Load(k, DType.Float64);
            return t.Item();
        });
    }

    private static LoraWeights Build(string path, SafetensorsFile file, Dictionary<string, (string? A, string? B)> pairs,
        Dictionary<string, ILoraLayer> layers, Func<long, double> defaultScaleOrAlpha, Func<string, double?>? explicitAlpha)
    {
        var adapters = new Dictionary<string, LoraAdapter>(StringComparer.Ordinal);
        try
        {
            foreach (var (module, (a, b)) in pairs)
            {
                if (a is null || b is null) throw new InvalidDataException($"{path}: module '{module}' has only one of its two LoRA matrices");
                if (!layers.TryGetValue(module, out var layer)) throw new InvalidDataException($"{path}: key '{a}' names no LoRA-capable module of the model ('{module}')");
                long rank = file.Entries[a].Shape[0];
                var (shapeA, shapeB) = layer.LoraShapes(rank);
                if (!file.Entries[a].Shape.SequenceEqual(shapeA) || !file.Entries[b].Shape.SequenceEqual(shapeB))
                    throw new InvalidDataException($"{path}: '{module}': A [{string.Join(", ", file.Entries[a].Shape)}], B [{string.Join(", ", file.Entries[b].Shape)}] do not fit the layer (expected [{string.Join(", ", shapeA)}], [{string.Join(", ", shapeB)}])");
                double scale = explicitAlpha is null ? defaultScaleOrAlpha(rank) : (explicitAlpha(module) ?? defaultScaleOrAlpha(rank)) / rank;
                if (!double.IsFinite(scale)) throw new InvalidDataException($"{path}: '{module}': its alpha gives a scale of {scale}");
                var adapter = new LoraAdapter(file.Load(a, layer.Weight.DType), file.Load(b, layer.Weight.DType), scale);
                adapters[module] = adapter;
                foreach (var (key, matrix) in new[] { (a, adapter.A), (b, adapter.B) })
                {
                    if (!matrix.AllFinite()) throw new InvalidDataException($"{path}: '{key}' holds NaN or infinite values (the file is corrupt or was converted wrongly)");
                }
            }
            return new LoraWeights(adapters, path);
        }
        catch
        {
            foreach (var x in adapters.Values) x.Dispose();
            throw;
        }
    }

    /// <summary>Writes PEFT/diffusers keys (<c>unet.base_model.model.&lt;path&gt;.lora_A.weight</c>), the
    /// format iCD's released files use. The scale is not stored (PEFT keeps alpha in its config).</summary>
    public static void WritePeft(string path, IReadOnlyDictionary<string, LoraAdapter> adapters, IReadOnlyDictionary<string, string>? metadata = null,
        DType? dtype = null)
    {
        var entries = adapters.SelectMany(kv => new[]
        {
            Entry($"unet.{PeftPrefix}{kv.Key}.lora_A.weight", kv.Value.A, dtype),
            Entry($"unet.{PeftPrefix}{kv.Key}.lora_B.weight", kv.Value.B, dtype),
        });
        SafetensorsWriter.Write(path, entries, metadata);
    }

    private static SafetensorsWriter.Entry Entry(string name, Tensor t, DType? dtype) =>
        new(name, dtype ?? t.DType, t.Shape, () => t.Detach().To(dtype ?? t.DType));
}
