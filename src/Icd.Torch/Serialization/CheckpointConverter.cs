using Icd.Torch.Nn;

namespace Icd.Torch.Serialization;

/// <summary>A torch.save file (through the safe reader) or a safetensors file to safetensors, one
/// tensor at a time (memory stays at the largest tensor, not the checkpoint).</summary>
public static class CheckpointConverter
{
    /// <param name="cast">Cast floating-point tensors to this dtype; null keeps each tensor's own.</param>
    /// <param name="prefix">Keep only keys starting with it, and remove it (<c>state_dict.</c>).</param>
    /// <returns>The number of tensors written.</returns>
    public static int Convert(string inPath, string outPath, DType? cast = null, string? prefix = null)
    {
        IDisposable owner;
        ITensorSource source;
        Func<string, DType> dtypeOf;
        if (inPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            var file = SafetensorsFile.Open(inPath);
            owner = file;
            source = new SafetensorsSource(file);
            dtypeOf = n => file.Entries[n].DType;
        }
        else
        {
            var ckpt = TorchCheckpoint.Open(inPath);
            owner = ckpt;
            source = ckpt;
            dtypeOf = ckpt.DTypeOf;
        }
        using (owner)
        {
            var names = source.Names.Where(n => prefix is null || n.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            if (names.Count == 0) throw new InvalidDataException($"{inPath}: no tensors{(prefix is null ? "" : $" with prefix '{prefix}'")}");
            DType Target(string n) => cast is not null && dtypeOf(n).IsFloatingPoint() ? cast.Value : dtypeOf(n);
            var entries = names.Select(n => new SafetensorsWriter.Entry(
                prefix is null ? n : n[prefix.Length..], Target(n), source.ShapeOf(n),
                () => { using var t = source.Load(n); return t.To(Target(n)); }));
            SafetensorsWriter.Write(outPath, entries, new Dictionary<string, string> { ["format"] = "pt", ["converted_from"] = Path.GetFileName(inPath) });
            return names.Count;
        }
    }
}
