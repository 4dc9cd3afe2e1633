using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Optim;

namespace Icd.Training;

/// <summary>The pieces every stage's checkpoint is made of, under key prefixes:
/// module weights, optimizer state, generator states.</summary>
internal static class StageState
{
    public static void Save(IDictionary<string, Tensor> into, string prefix, Module module)
    {
        foreach (var (name, p) in module.NamedParameters()) into[prefix + name] = p.Detach().DetachFromScope();
    }

    public static void Load(IReadOnlyDictionary<string, Tensor> from, string prefix, Module module) =>
        module.LoadStateDict(new DictionarySource(Part(from, prefix), "checkpoint"));

    public static void Save(IDictionary<string, Tensor> into, string prefix, AdamW optimizer)
    {
        foreach (var (k, v) in optimizer.StateDict()) into[prefix + k] = v;
    }

    public static void Load(IReadOnlyDictionary<string, Tensor> from, string prefix, AdamW optimizer) =>
        optimizer.LoadStateDict(Part(from, prefix));

    public static Dictionary<string, Tensor> Part(IReadOnlyDictionary<string, Tensor> from, string prefix) =>
        from.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}
