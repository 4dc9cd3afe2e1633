using System.Text;
using System.Text.Json;

namespace Icd.Torch.Serialization;

/// <summary>Writes safetensors files atomically: to a temporary file beside the target, then a
/// rename, so a crash never leaves a half-written file under the real name.</summary>
public static class SafetensorsWriter
{
    /// <summary>One tensor to write: its header facts, and how to produce its data when its turn comes.</summary>
    public sealed record Entry(string Name, DType DType, long[] Shape, Func<Tensor> Load);

    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors.Select(kv => new Entry(kv.Key, kv.Value.DType, kv.Value.Shape, () => kv.Value.Share())), metadata);

    /// <summary>Streams tensors to the file one at a time (each produced, written, disposed), so
    /// converting a multi-gigabyte checkpoint never holds it whole.</summary>
    public static void Write(string path, IEnumerable<Entry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var list = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in list)
        {
            if (e.Name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved", nameof(entries));
            if (!names.Add(e.Name)) throw new ArgumentException($"duplicate tensor name '{e.Name}'", nameof(entries));
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in list)
            {
                long bytes = e.Shape.Aggregate(1L, (a, b) => a * b) * e.DType.ElementSize();
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", SafetensorsFile.DTypeName(e.DType));
                json.WriteStartArray("shape");
                foreach (long s in e.Shape) json.WriteNumberValue(s);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces so the data section starts 8-byte aligned.
        long headerLength = buffer.Length;
        int padding = (int)((8 - headerLength % 8) % 8);
        for (int k = 0; k < padding; k++) buffer.WriteByte((byte)' ');

        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> lengthBytes = stackalloc byte[8];
                BitConverter.TryWriteBytes(lengthBytes, (ulong)buffer.Length);
                stream.Write(lengthBytes);
                buffer.Position = 0;
                buffer.CopyTo(stream);
                foreach (var e in list)
                {
                    using var tensor = e.Load();
                    if (tensor.DType != e.DType || !tensor.Shape.SequenceEqual(e.Shape))
                        throw new InvalidOperationException($"tensor '{e.Name}' is {tensor.Describe()}, but the header says [{string.Join(", ", e.Shape)}] {e.DType.TorchName()}");
                    WriteData(stream, tensor);
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            if (File.Exists(temp)) File.Delete(temp);
            throw;
        }
    }

    private static unsafe void WriteData(Stream stream, Tensor tensor)
    {
        using var cpu = tensor.Device.Type == DeviceType.Cpu ? tensor.Detach() : tensor.To(Device.Cpu);
        using var contiguous = cpu.Contiguous();
        long bytes = contiguous.NumberOfElements * contiguous.DType.ElementSize();
        if (bytes == 0) return;
        byte* p = (byte*)contiguous.DataPointer();
        const int Chunk = 1 << 30;
        for (long off = 0; off < bytes; off += Chunk)
            stream.Write(new ReadOnlySpan<byte>(p + off, (int)Math.Min(Chunk, bytes - off)));
    }
}
