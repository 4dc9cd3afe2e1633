using Icd.Torch.Serialization;

namespace Icd.Torch.Nn;

/// <summary>Where weights come from: names and shapes are known before any data is read, so a
/// mismatch is reported without loading, and tensors are read one at a time.</summary>
public interface ITensorSource
{
    /// <summary>For messages: the file (or files) behind this source.</summary>
    string Description { get; }

    IEnumerable<string> Names { get; }

    long[] ShapeOf(string name);

    /// <summary>Reads one tensor; the caller disposes it.</summary>
    Tensor Load(string name);

    /// <summary>Keys that a strict load may skip (e.g. transformers' position_ids buffer).</summary>
    bool IsIgnorable(string name) => false;
}

/// <summary>A safetensors file as a weight source (lazy, memory-mapped).</summary>
public sealed class SafetensorsSource(SafetensorsFile file, Func<string, bool>? ignorable = null) : ITensorSource
{
    public string Description => file.Path;
    public IEnumerable<string> Names => file.Names;
    public long[] ShapeOf(string name) => file.Entries[name].Shape;
    public Tensor Load(string name) => file.Load(name);
    public bool IsIgnorable(string name) => ignorable?.Invoke(name) ?? false;
}

/// <summary>In-memory tensors as a weight source (does not take ownership).</summary>
public sealed class DictionarySource(IReadOnlyDictionary<string, Tensor> tensors, string description = "state dict") : ITensorSource
{
    public string Description => description;
    public IEnumerable<string> Names => tensors.Keys;
    public long[] ShapeOf(string name) => tensors[name].Shape;
    public Tensor Load(string name) => tensors[name].Detach();
}

/// <summary>Renames or filters the keys of another source (e.g. strips a prefix).</summary>
public sealed class MappedSource(ITensorSource inner, Func<string, string?> map) : ITensorSource
{
    private readonly Dictionary<string, string> _names = inner.Names
        .Select(n => (Outer: map(n), Inner: n))
        .Where(p => p.Outer is not null)
        .ToDictionary(p => p.Outer!, p => p.Inner, StringComparer.Ordinal);

    public string Description => inner.Description;
    public IEnumerable<string> Names => _names.Keys;
    public long[] ShapeOf(string name) => inner.ShapeOf(_names[name]);
    public Tensor Load(string name) => inner.Load(_names[name]);
    public bool IsIgnorable(string name) => inner.IsIgnorable(_names[name]);
}
