using System.Globalization;
using System.IO.Compression;
using System.IO.Hashing;
using Icd.Torch.Interop;
using Icd.Torch.Nn;

namespace Icd.Torch.Serialization;

/// <summary>
/// A <c>torch.save</c> file (zip: <c>&lt;archive&gt;/data.pkl</c> + <c>&lt;archive&gt;/data/&lt;key&gt;</c>
/// storages), such as iCD's teacher <c>sd15_cfg_distill.pt</c>. The pickle is read by
/// <see cref="PickleReader"/> (an allow-list interpreter that runs nothing from the file); tensors
/// are read from their storage entries one at a time, so the file never sits in memory whole.
/// Nested dictionaries are flattened with dots (e.g. a <c>{"state_dict": ...}</c> wrapper).
/// A hostile file cannot make it run code, recurse without end, or allocate more than the file
/// describes: nesting is bounded, cycles are refused, every view must lie inside its storage and
/// hold no more elements than it, storages are read in chunks (CRC-32 checked) straight into
/// tensor memory, and every problem is a <see cref="CheckpointFormatException"/> naming the file.
/// </summary>
public sealed class TorchCheckpoint : ITensorSource, IDisposable
{
    /// <summary>Nesting of dictionaries a state dict may have (real files: 1–3).</summary>
    public const int MaxDepth = 32;

    /// <summary>The pickle is read into memory; real ones are kilobytes to a few megabytes.</summary>
    public const long MaxPickleBytes = 256 << 20;

    private readonly ZipArchive? _zip;
    private readonly string _prefix;
    private readonly Dictionary<string, TensorRef> _tensors;
    private readonly Dictionary<string, long>? _legacyOffsets; // storage key → first data byte in the file

    private TorchCheckpoint(string path, ZipArchive? zip, string prefix, Dictionary<string, TensorRef> tensors, Dictionary<string, long>? legacyOffsets = null)
    {
        Path = path;
        _zip = zip;
        _prefix = prefix;
        _tensors = tensors;
        _legacyOffsets = legacyOffsets;
    }

    public string Path { get; }
    public string Description => Path;
    public IEnumerable<string> Names => _tensors.Keys;

    public static TorchCheckpoint Open(string path)
    {
        if (Directory.Exists(path)) throw new CheckpointFormatException(path, "is a folder, not a checkpoint file");
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        if (LegacyCheckpoint.IsLegacy(path))
        {
            var (tensors, offsets) = LegacyCheckpoint.Read(path, (root, into) => Flatten(root, "", into, path, 0, new HashSet<object>(ReferenceEqualityComparer.Instance)));
            return new TorchCheckpoint(path, null, "", tensors, offsets);
        }
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointFormatException(path, $"neither a torch.save zip archive ({e.Message}) nor a legacy (torch < 1.6) torch.save file", e);
        }
        try
        {
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                ?? throw new CheckpointFormatException(path, "no <archive>/data.pkl entry: not a torch.save file");
            string prefix = pkl.FullName[..^"data.pkl".Length];
            if (pkl.Length > MaxPickleBytes) throw new CheckpointFormatException(path, $"data.pkl is {pkl.Length} bytes, more than the {MaxPickleBytes}-byte limit");
            var bytes = new byte[pkl.Length];
            ReadEntry(path, pkl, bytes);
            var root = new PickleReader(bytes, path).Load();
            var tensors = new Dictionary<string, TensorRef>(StringComparer.Ordinal);
            Flatten(root, "", tensors, path, 0, new HashSet<object>(ReferenceEqualityComparer.Instance));
            return new TorchCheckpoint(path, zip, prefix, tensors);
        }
        catch (InvalidDataException e)
        {
            zip.Dispose();
            throw new CheckpointFormatException(path, e.Message, e); // zip-level damage (bad local header, deflate stream)
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    /// <summary>Reads a whole zip entry into <paramref name="destination"/> (its declared length),
    /// checking there is nothing more and that the CRC-32 matches.</summary>
    private static void ReadEntry(string path, ZipArchiveEntry entry, Span<byte> destination)
    {
        var crc = new Crc32();
        using var stream = entry.Open();
        stream.ReadExactly(destination);
        crc.Append(destination);
        if (stream.ReadByte() >= 0) throw new CheckpointFormatException(path, $"entry '{entry.FullName}' holds more bytes than its declared {entry.Length}");
        if (crc.GetCurrentHashAsUInt32() != entry.Crc32)
            throw new CheckpointFormatException(path, $"entry '{entry.FullName}' fails its CRC-32 check: the file is damaged");
    }

    private static void Flatten(object? value, string prefix, Dictionary<string, TensorRef> into, string path, int depth, HashSet<object> open)
    {
        switch (value)
        {
            case TensorRef t:
                into[prefix] = t;
                break;
            case Dictionary<object, object?> d:
                if (depth >= MaxDepth) throw new CheckpointFormatException(path, $"dictionaries nested more than {MaxDepth} deep at '{Shorten(prefix)}'");
                if (!open.Add(d)) throw new CheckpointFormatException(path, $"the dictionary at '{Shorten(prefix)}' contains itself");
                foreach (var (k, v) in d)
                {
                    string key = k as string ?? throw new CheckpointFormatException(path, $"non-string key under '{Shorten(prefix)}'");
                    string name = prefix.Length == 0 ? key : $"{prefix}.{key}";
                    if (name.Length > 4096) throw new CheckpointFormatException(path, $"tensor name '{Shorten(name)}' is longer than 4096 characters");
                    Flatten(v, name, into, path, depth + 1, open);
                }
                open.Remove(d);
                break;
            case List<object?> list:
                // A list of tensors (piq's lpips_weights.pt) is named by index, as torch's state dicts name Sequential children.
                if (depth >= MaxDepth) throw new CheckpointFormatException(path, $"containers nested more than {MaxDepth} deep at '{Shorten(prefix)}'");
                if (!open.Add(list)) throw new CheckpointFormatException(path, $"the list at '{Shorten(prefix)}' contains itself");
                for (int i = 0; i < list.Count; i++)
                    Flatten(list[i], prefix.Length == 0 ? i.ToString(CultureInfo.InvariantCulture) : $"{prefix}.{i}", into, path, depth + 1, open);
                open.Remove(list);
                break;
            case null or long or double or bool or string:
                break; // metadata such as an epoch counter
            default:
                throw new CheckpointFormatException(path, $"unsupported value of type {value.GetType().Name} at '{Shorten(prefix)}'");
        }
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "…" : text;

    public long[] ShapeOf(string name) => _tensors[name].Shape;

    public DType DTypeOf(string name) => _tensors[name].Storage.DType;

    public Tensor Load(string name)
    {
        if (!_tensors.TryGetValue(name, out var t)) throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
        using var scope = new TensorScope();
        var raw = _legacyOffsets is null ? ReadZipStorage(name, t) : ReadLegacyStorage(name, t);
        // Reinterpret the bytes as the storage's dtype (aten::view.dtype), then take the strided view.
        var storage = Op.Get("aten::view", "dtype").Call(raw, t.Storage.DType);
        var view = Op.Get("aten::as_strided").Call(storage, t.Shape, t.Stride, t.Offset);
        return view.Clone().MoveToOuterScope();
    }

    /// <summary>A zip storage entry's bytes, its length, CRC-32 and end checked.</summary>
    private Tensor ReadZipStorage(string name, TensorRef t)
    {
        var entry = _zip!.GetEntry($"{_prefix}data/{t.Storage.Key}")
            ?? throw new CheckpointFormatException(Path, $"storage '{t.Storage.Key}' of '{name}' is missing");
        long bytes = CheckView(name, t, entry.Length);
        var raw = Tensor.Empty([bytes], DType.UInt8);
        var crc = new Crc32();
        try
        {
            using var stream = entry.Open();
            ReadInto(stream, raw, bytes, crc);
            if (stream.ReadByte() >= 0) throw new CheckpointFormatException(Path, $"entry '{entry.FullName}' holds more bytes than its declared {entry.Length}");
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointFormatException(Path, $"storage '{t.Storage.Key}' of '{name}' cannot be read ({e.Message})", e);
        }
        if (crc.GetCurrentHashAsUInt32() != entry.Crc32)
            throw new CheckpointFormatException(Path, $"entry '{entry.FullName}' fails its CRC-32 check: the file is damaged");
        return raw;
    }

    /// <summary>A legacy file's storage bytes (its element count was checked against the file by
    /// <see cref="LegacyCheckpoint.Read"/>).</summary>
    private Tensor ReadLegacyStorage(string name, TensorRef t)
    {
        long bytes = CheckView(name, t, checked(t.Storage.Count * t.Storage.DType.ElementSize()));
        var raw = Tensor.Empty([bytes], DType.UInt8);
        using var file = File.OpenRead(Path);
        file.Position = _legacyOffsets![t.Storage.Key];
        try
        {
            ReadInto(file, raw, bytes, null);
        }
        catch (EndOfStreamException e)
        {
            throw new CheckpointFormatException(Path, $"storage '{t.Storage.Key}' of '{name}' runs past the end of the file", e);
        }
        return raw;
    }

    /// <summary>The storage's size in bytes, after checking the view against it: the entry holds
    /// exactly the storage, sizes and strides are non-negative, the view lies inside the storage,
    /// and it has no more elements than the storage (a stride-0 view of 16 bytes could otherwise
    /// expand to gigabytes).</summary>
    private long CheckView(string name, TensorRef t, long entryLength)
    {
        try
        {
            long bytes = checked(t.Storage.Count * t.Storage.DType.ElementSize());
            if (entryLength != bytes)
                throw new CheckpointFormatException(Path, $"storage '{t.Storage.Key}' has {entryLength} bytes, expected {bytes}");
            if (t.Offset < 0 || t.Shape.Any(s => s < 0) || t.Stride.Any(s => s < 0))
                throw new CheckpointFormatException(Path, $"tensor '{name}' has a negative size, stride or offset");
            long elements = t.Shape.Aggregate(1L, (a, s) => checked(a * s));
            if (elements == 0) return bytes;
            if (elements > t.Storage.Count)
                throw new CheckpointFormatException(Path, $"tensor '{name}' has {elements} elements but its storage only {t.Storage.Count}");
            long extent = checked(t.Offset + t.Shape.Zip(t.Stride, (s, st) => checked((s - 1) * st)).Aggregate(0L, (a, b) => checked(a + b)) + 1);
            if (extent > t.Storage.Count)
                throw new CheckpointFormatException(Path, $"tensor '{name}' reaches past its storage ({extent} > {t.Storage.Count} elements)");
            return bytes;
        }
        catch (OverflowException)
        {
            throw new CheckpointFormatException(Path, $"tensor '{name}': its sizes overflow");
        }
    }

    /// <summary>Streams <paramref name="bytes"/> bytes into tensor memory in chunks (a storage of
    /// 2 GiB and more fits no .NET array), adding each chunk to <paramref name="crc"/> when given.</summary>
    private static unsafe void ReadInto(Stream stream, Tensor destination, long bytes, Crc32? crc)
    {
        const int Chunk = 16 << 20;
        byte* target = (byte*)destination.DataPointer();
        for (long done = 0; done < bytes;)
        {
            var span = new Span<byte>(target + done, (int)Math.Min(Chunk, bytes - done));
            stream.ReadExactly(span);
            crc?.Append(span);
            done += span.Length;
        }
    }

    public void Dispose() => _zip?.Dispose();
}
