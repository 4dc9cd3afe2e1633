using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Checkpoints;

/// <summary>
/// Older VAE checkpoints name the mid-block attention <c>query/key/value/proj_attn</c> (and may
/// store them as 1×1 convolutions); diffusers renamed them <c>to_q/to_k/to_v/to_out.0</c>. This is
/// the one place that maps the old names; the module tree uses only the new ones.
/// </summary>
public sealed class LegacyVaeNames(ITensorSource inner) : ITensorSource
{
    private static readonly (string Old, string New)[] Renames =
        [(".query.", ".to_q."), (".key.", ".to_k."), (".value.", ".to_v."), (".proj_attn.", ".to_out.0.")];

    private readonly Dictionary<string, string> _map = inner.Names.ToDictionary(Rename, n => n, StringComparer.Ordinal);

    public static bool Applies(IEnumerable<string> names) => names.Any(n => n.Contains(".mid_block.attentions.0.query.", StringComparison.Ordinal));

    private static string Rename(string name)
    {
        foreach (var (o, n) in Renames)
            if (name.Contains(".attentions.", StringComparison.Ordinal) && name.Contains(o, StringComparison.Ordinal)) return name.Replace(o, n, StringComparison.Ordinal);
        return name;
    }

    public string Description => inner.Description;
    public IEnumerable<string> Names => _map.Keys;

    public long[] ShapeOf(string name)
    {
        var shape = inner.ShapeOf(_map[name]);
        return IsConvWeight(name, shape) ? shape[..2] : shape;
    }

    public Tensor Load(string name)
    {
        var t = inner.Load(_map[name]);
        if (!IsConvWeight(name, t.Shape)) return t;
        using (t) return t.Flatten(1);
    }

    public bool IsIgnorable(string name) => inner.IsIgnorable(_map[name]);

    private bool IsConvWeight(string name, long[] shape) =>
        _map[name] != name && shape.Length == 4 && shape[2] == 1 && shape[3] == 1;
}
