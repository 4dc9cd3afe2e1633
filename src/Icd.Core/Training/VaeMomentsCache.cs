using System.Diagnostics.CodeAnalysis;
using Icd.Torch;
using Icd.Torch.Serialization;

namespace Icd.Training;

/// <summary>
/// The frozen VAE's posterior moments (mean, log-variance; 1×C×h×w each) of training items, by
/// index. The encoder never changes after its stage, so a build encodes each item once and every
/// later stage reads it from here: without sharing, each stage's first pass over the pool re-encodes
/// it, 28 % of a teacher step at 2 threads while a stage's cache is cold (model card, twenty-second build).
/// <see cref="Save"/> writes it to one safetensors file under a key naming the VAE and the data, so
/// the build's parts in other processes start with it; <see cref="Load"/> refuses a file with
/// another key (a retrained VAE, other data) by returning nothing.
/// Each item is encoded on its own, exactly as without the cache, so the moments are the same bits.
/// </summary>
public sealed class VaeMomentsCache : IDisposable
{
    private readonly Dictionary<long, (Tensor Mean, Tensor LogVar)> _items = new();
    private Tensor[] _storage = [];

    public int Count => _items.Count;

    /// <summary>Handles to an item's moments, owned by the caller (the current scope), or false when it is not cached.</summary>
    public bool TryGet(long index, [NotNullWhen(true)] out Tensor? mean, [NotNullWhen(true)] out Tensor? logVar)
    {
        if (_items.TryGetValue(index, out var item))
        {
            (mean, logVar) = (item.Mean.Share(), item.LogVar.Share());
            return true;
        }
        (mean, logVar) = (null, null);
        return false;
    }

    /// <summary>Keeps an item's moments (the cache takes its own handles; the caller keeps its own).</summary>
    public void Add(long index, Tensor mean, Tensor logVar)
    {
        if (_items.ContainsKey(index)) return;
        _items[index] = (mean.Share().DetachFromScope(), logVar.Share().DetachFromScope());
    }

    /// <summary>Writes every item, in index order, as three tensors (index, mean, logvar) under <paramref name="key"/> (atomically).</summary>
    public void Save(string path, string key)
    {
        if (_items.Count == 0) throw new InvalidOperationException($"no VAE moments to save to {path}");
        using var scope = new TensorScope();
        var indices = _items.Keys.Order().ToArray();
        var tensors = new Dictionary<string, Tensor>
        {
            ["index"] = Tensor.FromValues(indices),
            ["mean"] = Tensor.Cat(indices.Select(i => _items[i].Mean).ToArray(), 0),
            ["logvar"] = Tensor.Cat(indices.Select(i => _items[i].LogVar).ToArray(), 0),
        };
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["key"] = key });
    }

    /// <summary>The cache saved at <paramref name="path"/>; null when there is no file or it was saved
    /// under another key. A file with the right key but inconsistent tensors is an error naming it.</summary>
    public static VaeMomentsCache? Load(string path, string key)
    {
        if (!File.Exists(path)) return null;
        using var file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("key", out var stored) || stored != key) return null;
        foreach (var name in new[] { "index", "mean", "logvar" })
            if (!file.Contains(name)) throw new InvalidDataException($"{path}: VAE moments file has no '{name}' tensor");
        var cache = new VaeMomentsCache();
        try
        {
            var index = file.Load("index").DetachFromScope();
            var mean = file.Load("mean").DetachFromScope();
            var logVar = file.Load("logvar").DetachFromScope();
            cache._storage = [index, mean, logVar];
            long n = index.Shape[0];
            if (index.Dim != 1 || mean.Dim < 2 || mean.Shape[0] != n || !logVar.Shape.SequenceEqual(mean.Shape))
                throw new InvalidDataException($"{path}: index {Shape(index)}, mean {Shape(mean)} and logvar {Shape(logVar)} do not describe the same items");
            var indices = index.ToArray<long>();
            for (int i = 0; i < indices.Length; i++)
                if (!cache._items.TryAdd(indices[i], (mean.Narrow(0, i, 1).DetachFromScope(), logVar.Narrow(0, i, 1).DetachFromScope())))
                    throw new InvalidDataException($"{path}: item {indices[i]} appears twice");
            return cache;
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    private static string Shape(Tensor t) => "(" + string.Join("×", t.Shape) + ")";

    public void Dispose()
    {
        foreach (var (mean, logVar) in _items.Values)
        {
            mean.Dispose();
            logVar.Dispose();
        }
        _items.Clear();
        foreach (var t in _storage) t.Dispose();
        _storage = [];
    }
}
