using System.Buffers.Binary;

namespace Icd.Torch.Serialization;

/// <summary>
/// The torch.save format of torch &lt; 1.6 (lpips' heads, older torchvision weights): pickles in a
/// row (magic number, protocol version, system info, the object, the list of storage keys), then
/// each storage in key order as an int64 element count and its bytes. Read with the same allow-list
/// <see cref="PickleReader"/>; every storage's count must match what the object says and every byte
/// must lie inside the file.
/// </summary>
internal static class LegacyCheckpoint
{
    /// <summary>pickle of the int 0x1950a86a20f9469cfc6c, protocol 2 (LONG1 of 10 bytes), then STOP.</summary>
    private static readonly byte[] Magic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];

    public static bool IsLegacy(string path)
    {
        using var file = File.OpenRead(path);
        var head = new byte[Magic.Length];
        return file.Read(head) == head.Length && head.AsSpan().SequenceEqual(Magic);
    }

    public static (Dictionary<string, TensorRef> Tensors, Dictionary<string, long> Offsets) Read(string path, Action<object?, Dictionary<string, TensorRef>> flatten)
    {
        long length = new FileInfo(path).Length;
        // The pickles come first and are small; read more of the file only if they run on.
        for (long window = Math.Min(length, 1 << 20); ; window = Math.Min(length, window * 4))
        {
            byte[] bytes = new byte[window];
            using (var file = File.OpenRead(path)) file.ReadExactly(bytes);
            try
            {
                return Parse(path, bytes, length, flatten);
            }
            catch (CheckpointFormatException e) when (e.EndsEarly && window < length && window < TorchCheckpoint.MaxPickleBytes)
            {
            }
        }
    }

    private static (Dictionary<string, TensorRef>, Dictionary<string, long>) Parse(string path, byte[] bytes, long length, Action<object?, Dictionary<string, TensorRef>> flatten)
    {
        int pos = Magic.Length;
        object? Next()
        {
            var reader = new PickleReader(bytes, path, pos);
            var value = reader.Load();
            pos = reader.Position;
            return value;
        }
        if (Next() is not long protocol || protocol != 1001) throw new CheckpointFormatException(path, "legacy torch.save file with an unknown protocol version (expected 1001)");
        if (Next() is Dictionary<object, object?> info && info.TryGetValue("little_endian", out var little) && little is false)
            throw new CheckpointFormatException(path, "big-endian legacy torch.save files are not supported");
        var root = Next();
        var keys = (Next() as List<object?> ?? throw new CheckpointFormatException(path, "legacy torch.save file without its list of storage keys"))
            .Select(k => k as string ?? throw new CheckpointFormatException(path, "a storage key is not a string")).ToList();
        var tensors = new Dictionary<string, TensorRef>(StringComparer.Ordinal);
        flatten(root, tensors);
        var storages = tensors.Values.Select(t => t.Storage).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
        long at = pos;
        using var file = File.OpenRead(path);
        Span<byte> count = stackalloc byte[8];
        foreach (var key in keys)
        {
            if (!storages.TryGetValue(key, out var storage)) throw new CheckpointFormatException(path, $"storage '{key}' is listed but no tensor uses it");
            if (at + 8 > length) throw new CheckpointFormatException(path, $"storage '{key}' starts past the end of the file");
            file.Position = at;
            file.ReadExactly(count);
            long n = BinaryPrimitives.ReadInt64LittleEndian(count);
            if (n != storage.Count) throw new CheckpointFormatException(path, $"storage '{key}' holds {n} elements, its tensors say {storage.Count}");
            long size = checked(n * storage.DType.ElementSize());
            offsets[key] = at + 8;
            at = checked(at + 8 + size);
            if (at > length) throw new CheckpointFormatException(path, $"storage '{key}' runs past the end of the file");
        }
        foreach (var key in storages.Keys)
            if (!offsets.ContainsKey(key)) throw new CheckpointFormatException(path, $"storage '{key}' is used but not in the file's list of storages");
        return (tensors, offsets);
    }
}
