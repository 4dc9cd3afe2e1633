using System.Text;
using System.Text.Json;

namespace Icd.Torch.Serialization;

/// <summary>Writes safetensors files atomically: to a temporary file beside the target, then a
/// rename, so a crash never leaves a half-written file under the real name.</summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var list = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in list)
        {
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved", nameof(tensors));
            if (!names.Add(name)) throw new ArgumentException($"duplicate tensor name '{name}'", nameof(tensors));
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
            foreach (var (name, tensor) in list)
            {
                long bytes = tensor.NumberOfElements * tensor.DType.ElementSize();
                json.WriteStartObject(name);
                json.WriteString("dtype", SafetensorsFile.DTypeName(tensor.DType));
                json.WriteStartArray("shape");
                foreach (long s in tensor.Shape) json.WriteNumberValue(s);
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
                foreach (var (_, tensor) in list) WriteData(stream, tensor);
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
