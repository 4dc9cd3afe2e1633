namespace Icd.Torch.Nn;

/// <summary>
/// Initial values for new modules. PyTorch's defaults (Linear/Conv: kaiming-uniform with a = √5,
/// i.e. U(−1/√fan_in, 1/√fan_in) for weights and biases) drawn from a seeded generator, so a model
/// built twice under the same <see cref="Seed"/> is identical. Loading a checkpoint overwrites them.
/// </summary>
public static class Init
{
    [ThreadStatic]
    private static Generator? _generator;

    private static Generator Current => _generator ??= new Generator(0);

    /// <summary>Uses a generator seeded with <paramref name="seed"/> for modules built until disposed.</summary>
    public static IDisposable Seed(ulong seed)
    {
        var previous = _generator;
        _generator = new Generator(seed);
        return new Restore(previous);
    }

    [ThreadStatic]
    private static bool _meta;

    /// <summary>Until disposed, new modules' weights are <see cref="Device.Meta"/> tensors (no
    /// storage, no random draws): a full-size network's names, shapes and parameter counts without
    /// its memory. Norm layers' small constant weights stay on the CPU.</summary>
    public static IDisposable OnMeta()
    {
        bool previous = _meta;
        _meta = true;
        return new RestoreMeta(previous);
    }

    public static Tensor Uniform(long[] shape, double bound)
    {
        if (_meta) return Tensor.Empty(shape, device: Device.Meta);
        var t = Tensor.Empty(shape);
        using (Autograd.NoGrad()) t.Uniform_(-bound, bound, Current);
        return t;
    }

    public static Tensor Normal(long[] shape, double std)
    {
        if (_meta) return Tensor.Empty(shape, device: Device.Meta);
        var t = Tensor.Empty(shape);
        using (Autograd.NoGrad()) t.Normal_(0, std, Current);
        return t;
    }

    private sealed class RestoreMeta(bool previous) : IDisposable
    {
        public void Dispose() => _meta = previous;
    }

    /// <summary>PyTorch's default for Linear and Conv weights and biases.</summary>
    public static Tensor FanIn(long[] shape, long fanIn) => Uniform(shape, 1.0 / Math.Sqrt(fanIn));

    private sealed class Restore(Generator? previous) : IDisposable
    {
        public void Dispose()
        {
            _generator?.Dispose();
            _generator = previous;
        }
    }
}
