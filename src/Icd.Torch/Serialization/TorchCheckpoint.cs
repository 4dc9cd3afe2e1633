using System.IO.Compression;
using Icd.Torch.Interop;
using Icd.Torch.Nn;

namespace Icd.Torch.Serialization;

/// <summary>
/// A <c>torch.save</c> file (zip: <c>&lt;archive&gt;/data.pkl</c> + <c>&lt;archive&gt;/data/&lt;key&gt;</c>
/// storages), such as iCD's teacher <c>sd15_cfg_distill.pt</c>. The pickle is read by
/// <see cref="PickleReader"/> (an allow-list interpreter that runs nothing from the file); tensors
/// are read from their storage entries one at a time, so the file never sits in memory whole.
/// Nested dictionaries are flattened with dots (e.g. a <c>{"state_dict": ...}</c> wrapper).
/// </summary>
public sealed class TorchCheckpoint : ITensorSource, IDisposable
{
    private readonly ZipArchive _zip;
    private readonly string _prefix;
    private readonly Dictionary<string, TensorRef> _tensors;

    private TorchCheckpoint(string path, ZipArchive zip, string prefix, Dictionary<string, TensorRef> tensors)
    {
        Path = path;
        _zip = zip;
        _prefix = prefix;
        _tensors = tensors;
    }

    public string Path { get; }
    public string Description => Path;
    public IEnumerable<string> Names => _tensors.Keys;

    public static TorchCheckpoint Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException)
        {
            throw new InvalidDataException($"{path}: not a torch.save zip archive (files from torch < 1.6 use the legacy format: re-save them with a current torch)");
        }
        try
        {
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                ?? throw new InvalidDataException($"{path}: no <archive>/data.pkl entry: not a torch.save file");
            string prefix = pkl.FullName[..^"data.pkl".Length];
            byte[] bytes;
            using (var s = pkl.Open())
            using (var ms = new MemoryStream())
            {
                s.CopyTo(ms);
                bytes = ms.ToArray();
            }
            var root = new PickleReader(bytes, path).Load();
            var tensors = new Dictionary<string, TensorRef>(StringComparer.Ordinal);
            Flatten(root, "", tensors, path);
            return new TorchCheckpoint(path, zip, prefix, tensors);
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    private static void Flatten(object? value, string prefix, Dictionary<string, TensorRef> into, string path)
    {
        switch (value)
        {
            case TensorRef t:
                into[prefix] = t;
                break;
            case Dictionary<object, object?> d:
                foreach (var (k, v) in d)
                {
                    string key = k as string ?? throw new InvalidDataException($"{path}: non-string key under '{prefix}'");
                    Flatten(v, prefix.Length == 0 ? key : $"{prefix}.{key}", into, path);
                }
                break;
            case null or long or double or bool or string:
                break; // metadata such as an epoch counter
            default:
                throw new InvalidDataException($"{path}: unsupported value of type {value.GetType().Name} at '{prefix}'");
        }
    }

    public long[] ShapeOf(string name) => _tensors[name].Shape;

    public DType DTypeOf(string name) => _tensors[name].Storage.DType;

    public Tensor Load(string name)
    {
        if (!_tensors.TryGetValue(name, out var t)) throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
        var entry = _zip.GetEntry($"{_prefix}data/{t.Storage.Key}")
            ?? throw new InvalidDataException($"{Path}: storage '{t.Storage.Key}' of '{name}' is missing");
        long bytes = t.Storage.Count * t.Storage.DType.ElementSize();
        if (entry.Length != bytes)
            throw new InvalidDataException($"{Path}: storage '{t.Storage.Key}' has {entry.Length} bytes, expected {bytes}");
        long extent = t.Offset + (t.Shape.Length == 0 ? 1 : t.Shape.Zip(t.Stride, (s, st) => (s - 1) * st).Sum() + 1);
        if (t.Shape.Any(s => s == 0)) extent = 0;
        if (t.Offset < 0 || extent > t.Storage.Count)
            throw new InvalidDataException($"{Path}: tensor '{name}' reaches past its storage");
        var buffer = new byte[bytes];
        using (var s = entry.Open()) s.ReadExactly(buffer);
        using var scope = new TensorScope();
        // Reinterpret the bytes as the storage's dtype (aten::view.dtype), then take the strided view.
        var storage = Op.Get("aten::view", "dtype").Call(Tensor.FromArray(buffer, bytes), t.Storage.DType);
        var view = Op.Get("aten::as_strided").Call(storage, t.Shape, t.Stride, t.Offset);
        return view.Clone().MoveToOuterScope();
    }

    public void Dispose() => _zip.Dispose();
}
