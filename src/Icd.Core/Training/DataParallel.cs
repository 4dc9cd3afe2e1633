using Icd.Denoising;
using Icd.Torch;
using Icd.Torch.Distributed;

namespace Icd.Training;

/// <summary>A stage that computes only its rank's shard of each global batch (<see cref="DataParallel.Shard(Tensor)"/>).</summary>
public interface IDataParallelStage : ITrainingStage
{
}

/// <summary>
/// DistributedDataParallel's semantics for icd's stages. Every rank draws the whole global batch's
/// items and random numbers from identical streams (so the run is the same computation as one
/// process with the whole batch, and resumes with any world size), runs forward and backward on its
/// own contiguous shard of the batch, and before each optimizer step the gradients are averaged over
/// ranks in buckets (flattened, one all-reduce each). Logged losses are averaged the same way, so
/// every rank logs the one-process numbers; rank 0 alone writes files.
/// </summary>
public sealed class DataParallel(ProcessGroup group) : IDisposable
{
    /// <summary>Bucket size of the gradient all-reduce (PyTorch DDP's default is 25 MB).</summary>
    public const long BucketBytes = 25L << 20;

    /// <summary>The job this process trains in, or null for a one-process run. Per thread, so that
    /// tests can run several ranks as threads of one process.</summary>
    public static DataParallel? Current
    {
        get => _current;
        set => _current = value;
    }

    [ThreadStatic]
    private static DataParallel? _current;

    public ProcessGroup Group => group;
    public int Rank => group.Rank;
    public int WorldSize => group.WorldSize;

    /// <summary>This rank's rows of a global batch (dim 0).</summary>
    public Tensor Shard(Tensor global)
    {
        long n = global.Size(0);
        if (n % WorldSize != 0) throw new InvalidOperationException($"a batch of {n} does not split into {WorldSize} equal shards");
        long size = n / WorldSize;
        return global.Narrow(0, Rank * size, size);
    }

    /// <summary>This rank's items of a per-item array (timesteps, guidance scales).</summary>
    public T[] Shard<T>(T[] global)
    {
        if (global.Length % WorldSize != 0) throw new InvalidOperationException($"a batch of {global.Length} does not split into {WorldSize} equal shards");
        int size = global.Length / WorldSize;
        return global[(Rank * size)..((Rank + 1) * size)];
    }

    public TextConditioning Shard(TextConditioning global) =>
        new(Shard(global.States), global.Added is { } a ? new AddedConditions(Shard(a.TextEmbeds), Shard(a.TimeIds)) : null);

    /// <summary>Checks that every rank built the same parameters (names, shapes, dtypes), then
    /// copies rank 0's values to all.</summary>
    public void Synchronize(IReadOnlyList<(string Name, Tensor Value)> parameters)
    {
        using var scope = new TensorScope();
        long fingerprint = Fingerprint(parameters);
        var all = group.AllGather(Tensor.FromValues(new[] { fingerprint }));
        var prints = all.Select(t => t.Item<long>()).ToArray();
        for (int r = 0; r < prints.Length; r++)
            if (prints[r] != prints[0])
                throw new DistributedException(Rank, $"rank {r} built a different model than rank 0 (parameter names, shapes or dtypes differ): start every rank with the same arguments");
        using var noGrad = Autograd.NoGrad();
        foreach (var (_, value) in parameters) group.Broadcast(value, 0);
    }

    private static long Fingerprint(IReadOnlyList<(string Name, Tensor Value)> parameters)
    {
        // FNV-1a over "name:shape:dtype;": stable across processes (string.GetHashCode is not).
        ulong hash = 14695981039346656037UL;
        foreach (var (name, value) in parameters)
            foreach (char c in $"{name}:{string.Join(",", value.Shape)}:{value.DType};")
                hash = (hash ^ c) * 1099511628211UL;
        return (long)hash;
    }

    /// <summary>Averages the gradients of <paramref name="parameters"/> over ranks, in buckets of
    /// <see cref="BucketBytes"/>. A parameter without a gradient on this rank contributes zeros.</summary>
    public void AverageGradients(IReadOnlyList<Tensor> parameters)
    {
        using var noGrad = Autograd.NoGrad();
        var bucket = new List<Tensor>();
        long bytes = 0;
        foreach (var p in parameters.Where(p => p.RequiresGrad))
        {
            bucket.Add(p);
            bytes += p.NumberOfElements * 4;
            if (bytes >= BucketBytes)
            {
                Reduce(bucket);
                bucket.Clear();
                bytes = 0;
            }
        }
        if (bucket.Count > 0) Reduce(bucket);
    }

    private void Reduce(List<Tensor> parameters)
    {
        using var scope = new TensorScope();
        var grads = parameters.Select(p => p.Grad ?? Tensor.ZerosLike(p)).ToList();
        var flat = Tensor.Cat(grads.Select(g => g.To(DType.Float32).Reshape(-1)).ToArray(), 0);
        group.AllReduceSum(flat);
        flat = flat / WorldSize;
        long offset = 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            long n = parameters[i].NumberOfElements;
            var averaged = flat.Narrow(0, offset, n).View(parameters[i].Shape).To(parameters[i].DType);
            if (parameters[i].Grad is { } g) g.Copy_(averaged);
            else parameters[i].Grad = averaged.Clone();   // the gradient keeps its own reference
            offset += n;
        }
    }

    /// <summary>The mean over ranks of each value (the logged losses).</summary>
    public Dictionary<string, double> Average(IReadOnlyDictionary<string, double> values)
    {
        using var scope = new TensorScope();
        var keys = values.Keys.Order(StringComparer.Ordinal).ToArray();
        var t = Tensor.FromValues(keys.Select(k => values[k]).ToArray());
        group.AllReduceSum(t);
        var sums = t.ToArray<double>();
        return keys.Select((k, i) => (k, sums[i] / WorldSize)).ToDictionary(p => p.k, p => p.Item2);
    }

    public void Dispose()
    {
        if (ReferenceEquals(Current, this)) Current = null;
        group.Dispose();
    }
}
