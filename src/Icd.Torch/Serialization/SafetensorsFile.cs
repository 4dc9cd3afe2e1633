using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace Icd.Torch.Serialization;

/// <summary>One tensor's record in a safetensors header.</summary>
public sealed record SafetensorsEntry(string Name, DType DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>Thrown for a file that is not a valid safetensors file; names the file and the problem.</summary>
public sealed class SafetensorsFormatException(string path, string problem)
    : Exception($"{path}: not a valid safetensors file: {problem}")
{
    public string Path { get; } = path;
}

/// <summary>
/// A memory-mapped safetensors file (format: 8-byte little-endian header length N, N bytes of
/// JSON, then the data section). The header is validated completely before any tensor is read;
/// tensors are then copied out one at a time (<see cref="Load"/>), so a 3.4 GB UNet file never
/// exists twice in memory.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>Headers larger than this are refused before anything is allocated (the Rust
    /// reference implementation uses the same 100 MB bound).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsEntry> _entries;

    private SafetensorsFile(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, byte* basePtr,
        long dataStart, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _file = file;
        _view = view;
        _base = basePtr;
        _dataStart = dataStart;
        _entries = entries;
        Metadata = metadata;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, SafetensorsEntry> Entries => _entries;

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public IEnumerable<string> Names => _entries.Keys;

    public bool Contains(string name) => _entries.ContainsKey(name);

    public static SafetensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        // The length comes from the opened file, not the path: a symbolic link's own size is not its target's.
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        if (length < 8)
        {
            stream.Dispose();
            throw new SafetensorsFormatException(path, $"file is {length} bytes, shorter than the 8-byte header length");
        }

        var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* basePtr = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
            basePtr += view.PointerOffset;
            ulong headerLength = *(ulong*)basePtr; // little-endian on every platform .NET runs here
            if (headerLength > MaxHeaderBytes)
                throw new SafetensorsFormatException(path, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
            if ((long)headerLength > length - 8)
                throw new SafetensorsFormatException(path, $"header length {headerLength} exceeds the file ({length} bytes): truncated?");
            var header = new ReadOnlySpan<byte>(basePtr + 8, (int)headerLength);
            long dataStart = 8 + (long)headerLength;
            var (entries, metadata) = ParseHeader(path, header, length - dataStart);
            return new SafetensorsFile(path, file, view, basePtr, dataStart, entries, metadata);
        }
        catch
        {
            if (view is not null)
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
                view.Dispose();
            }
            file.Dispose();
            throw;
        }
    }

    /// <summary>Parses and validates the JSON header against the data section's size: known
    /// dtypes, non-negative shapes, byte spans equal to element count × element size, and spans
    /// that tile the data section exactly (no overlap, no gap, nothing past the end).</summary>
    private static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseHeader(
        string path, ReadOnlySpan<byte> header, long dataLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(path, $"header is not valid JSON ({e.Message})");
        }
        using (doc)
        {
            try
            {
                return ParseEntries(path, doc, dataLength);
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json's own complaints: names that are not valid UTF-8, a value of the wrong kind.
                throw new SafetensorsFormatException(path, $"header: {e.Message}");
            }
        }
    }

    private static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseEntries(string path, JsonDocument doc, long dataLength)
    {
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(path, "header is not a JSON object");
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                    throw new SafetensorsFormatException(path, "__metadata__ is not an object");
                foreach (var m in property.Value.EnumerateObject())
                {
                    if (m.Value.ValueKind != JsonValueKind.String)
                        throw new SafetensorsFormatException(path, $"__metadata__ value '{m.Name}' is not a string");
                    metadata[m.Name] = m.Value.GetString()!;
                }
                continue;
            }
            if (entries.ContainsKey(property.Name))
                throw new SafetensorsFormatException(path, $"tensor '{property.Name}' appears twice");
            entries[property.Name] = ParseEntry(path, property);
        }

        long expected = 0;
        foreach (var e in entries.Values.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin != expected)
                throw new SafetensorsFormatException(path, e.Begin < expected
                    ? $"tensor '{e.Name}' overlaps the previous tensor (starts at {e.Begin}, previous ends at {expected})"
                    : $"gap before tensor '{e.Name}' (starts at {e.Begin}, previous ends at {expected})");
            expected = e.End;
        }
        if (expected != dataLength)
            throw new SafetensorsFormatException(path, expected > dataLength
                ? $"tensors need {expected} data bytes but the file has {dataLength}: truncated?"
                : $"{dataLength - expected} unused bytes after the last tensor");
        return (entries, metadata);
    }

    private static SafetensorsEntry ParseEntry(string path, JsonProperty property)
    {
        string name = property.Name;
        var v = property.Value;
        if (v.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(path, $"tensor '{name}': entry is not an object");
        if (!v.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw new SafetensorsFormatException(path, $"tensor '{name}': missing dtype");
        string dtypeText = dtypeEl.GetString()!;
        var dtype = ParseDType(dtypeText)
            ?? throw new SafetensorsFormatException(path, $"tensor '{name}': unknown dtype '{dtypeText}'");
        if (!v.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw new SafetensorsFormatException(path, $"tensor '{name}': missing shape");
        var shape = new long[shapeEl.GetArrayLength()];
        long count = 1;
        int k = 0;
        foreach (var s in shapeEl.EnumerateArray())
        {
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt64(out long size) || size < 0)
                throw new SafetensorsFormatException(path, $"tensor '{name}': shape entry {k} is not a non-negative integer");
            shape[k++] = size;
            try { count = checked(count * size); }
            catch (OverflowException) { throw new SafetensorsFormatException(path, $"tensor '{name}': shape overflows"); }
        }
        if (!v.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new SafetensorsFormatException(path, $"tensor '{name}': data_offsets must be [begin, end]");
        if (offEl[0].ValueKind != JsonValueKind.Number || offEl[1].ValueKind != JsonValueKind.Number
            || !offEl[0].TryGetInt64(out long begin) || !offEl[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new SafetensorsFormatException(path, $"tensor '{name}': bad data_offsets");
        long bytes;
        try { bytes = checked(count * dtype.Size); }
        catch (OverflowException) { throw new SafetensorsFormatException(path, $"tensor '{name}': size overflows"); }
        if (end - begin != bytes)
            throw new SafetensorsFormatException(path,
                $"tensor '{name}': data_offsets span {end - begin} bytes but shape [{string.Join(", ", shape)}] × {dtypeText} needs {bytes}");
        return new SafetensorsEntry(name, dtype.DType, shape, begin, end);
    }

    private readonly record struct FileDType(DType DType, int Size);

    private static FileDType? ParseDType(string text) => text switch
    {
        "F32" => new FileDType(DType.Float32, 4),
        "F16" => new FileDType(DType.Float16, 2),
        "BF16" => new FileDType(DType.BFloat16, 2),
        "F64" => new FileDType(DType.Float64, 8),
        "I64" => new FileDType(DType.Int64, 8),
        "I32" => new FileDType(DType.Int32, 4),
        "I16" => new FileDType(DType.Int16, 2),
        "I8" => new FileDType(DType.Int8, 1),
        "U8" => new FileDType(DType.UInt8, 1),
        "BOOL" => new FileDType(DType.Bool, 1),
        _ => null,
    };

    internal static string DTypeName(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float16 => "F16",
        DType.BFloat16 => "BF16",
        DType.Float64 => "F64",
        DType.Int64 => "I64",
        DType.Int32 => "I32",
        DType.Int16 => "I16",
        DType.Int8 => "I8",
        DType.UInt8 => "U8",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no safetensors name"),
    };

    /// <summary>Copies one tensor out of the mapping into libtorch memory, converting it to
    /// <paramref name="dtype"/> when given (e.g. F16 weights to float32).</summary>
    public Tensor Load(string name, DType? dtype = null)
    {
        if (!_entries.TryGetValue(name, out var entry))
            throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
        ObjectDisposedException.ThrowIf(_disposed, this);
        // A zero-copy view of the mapping, valid only until the copy below is made.
        using var view = Tensor.FromPointer((IntPtr)(_base + _dataStart + entry.Begin), entry.Shape, entry.DType, null, IntPtr.Zero);
        return dtype is null || dtype == entry.DType ? view.Clone() : view.To(dtype.Value);
    }

    /// <summary>Loads every tensor (convenient for small files).</summary>
    public Dictionary<string, Tensor> LoadAll(DType? dtype = null) =>
        _entries.Keys.ToDictionary(k => k, k => Load(k, dtype), StringComparer.Ordinal);

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
