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

    /// <summary>The usual checkpoint of a one-model stage: weights, optimizer, noise generator, data streams.</summary>
    public static void Save(IDictionary<string, Tensor> into, Module model, AdamW optimizer, Generator noise, BatchBuilder data)
    {
        Save(into, "model/", model);
        Save(into, "optim/", optimizer);
        into["rng/noise"] = noise.GetState().DetachFromScope();
        data.SaveState(into);
    }

    public static void Load(IReadOnlyDictionary<string, Tensor> from, Module model, AdamW optimizer, Generator noise, BatchBuilder data)
    {
        Load(from, "model/", model);
        Load(from, "optim/", optimizer);
        noise.SetState(from["rng/noise"]);
        data.LoadState(from);
    }

    /// <summary>One optimizer step on the accumulated gradients (averaged over ranks in a
    /// data-parallel run): clip their joint norm, step, drop them. Returns the norm before clipping.</summary>
    public static double ClipAndStep(AdamW optimizer, double maxNorm)
    {
        // Data-parallel: the optimizer (and the clipping) sees the gradient of the whole global batch.
        DataParallel.Current?.AverageGradients(optimizer.ParameterList);
        double norm = GradClip.ClipGradNorm(optimizer.ParameterList, maxNorm);
        optimizer.Step();
        optimizer.ZeroGrad();
        return norm;
    }

    /// <summary>Gradient accumulation: backward of <paramref name="loss"/>(k) / n for each micro-batch
    /// k in its own tensor scope (one graph alive at a time), then one <see cref="ClipAndStep"/>.
    /// Returns the micro-batches' mean loss and the norm before clipping.</summary>
    public static (double Loss, double Norm) AccumulateAndStep(AdamW optimizer, int microBatches, Func<int, Tensor> loss, double maxNorm)
    {
        double total = 0;
        for (int k = 0; k < microBatches; k++)
        {
            using var scope = new TensorScope();
            var value = loss(k) / microBatches;
            Autograd.Backward([value]);
            total += value.Item();
        }
        return (total, ClipAndStep(optimizer, maxNorm));
    }

    public static Dictionary<string, Tensor> Part(IReadOnlyDictionary<string, Tensor> from, string prefix) =>
        from.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}
