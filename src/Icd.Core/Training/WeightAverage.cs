using Icd.Torch;

namespace Icd.Training;

/// <summary>
/// An exponential moving average of trained weights (Polyak averaging), kept beside them:
/// after update n, a ← d_n·a + (1 − d_n)·θ with d_n = min(decay, (1 + n) / (10 + n)), diffusers'
/// EMAModel warm-up, so the average forgets the initial weights within the first few dozen updates.
/// It is what the run ships, not what trains: the CD targets still come from the live student
/// (METHOD: no EMA target), and <see cref="Swap"/> exchanges the two for validation and export.
/// </summary>
public sealed class WeightAverage : IDisposable
{
    private readonly Tensor[] _live;
    private readonly Tensor[] _average;

    /// <param name="parameters">The trained tensors, updated in place by their optimizer.</param>
    /// <param name="decay">The long-run decay, in (0, 1): about 1 / (1 − decay) recent updates dominate.</param>
    public WeightAverage(IEnumerable<Tensor> parameters, double decay)
    {
        if (!(decay is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "must be in (0, 1)");
        Decay = decay;
        _live = parameters.ToArray();
        using var noGrad = Autograd.NoGrad();
        _average = _live.Select(p => p.Detach().Clone().DetachFromScope()).ToArray();
    }

    public double Decay { get; }

    /// <summary>Updates made so far (the warm-up's n).</summary>
    public long Updates { get; private set; }

    /// <summary>The decay of update n: the warm-up's (1 + n) / (10 + n) until it reaches <paramref name="decay"/>.</summary>
    public static double DecayAt(double decay, long n) => Math.Min(decay, (1.0 + n) / (10.0 + n));

    /// <summary>Folds the live weights into the average; call after each optimisation step.</summary>
    public void Update()
    {
        double d = DecayAt(Decay, Updates);
        using var noGrad = Autograd.NoGrad();
        for (int i = 0; i < _live.Length; i++) _average[i].Lerp_(_live[i], 1 - d);
        Updates++;
    }

    /// <summary>Exchanges the live weights and the average: once to use the average, again to go back.</summary>
    public void Swap()
    {
        using var noGrad = Autograd.NoGrad();
        for (int i = 0; i < _live.Length; i++)
        {
            using var held = _live[i].Detach().Clone();
            _live[i].Copy_(_average[i]);
            _average[i].Copy_(held);
        }
    }

    public void Save(IDictionary<string, Tensor> into, string prefix)
    {
        for (int i = 0; i < _average.Length; i++) into[$"{prefix}{i}"] = _average[i].Detach().Clone().DetachFromScope();
        into[prefix + "updates"] = Tensor.FromValues(new[] { Updates }).DetachFromScope();
    }

    /// <summary>Restores a saved average; a state saved without one (a run that had no average
    /// before) starts it afresh from the live weights.</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> from, string prefix)
    {
        using var noGrad = Autograd.NoGrad();
        bool saved = from.TryGetValue(prefix + "updates", out var updates);
        for (int i = 0; i < _average.Length; i++)
        {
            if (!saved) _average[i].Copy_(_live[i]);
            else if (from.TryGetValue($"{prefix}{i}", out var a) && a.Shape.SequenceEqual(_average[i].Shape)) _average[i].Copy_(a);
            else throw new InvalidDataException($"the checkpoint's weight average has no tensor {prefix}{i} of shape [{string.Join(", ", _average[i].Shape)}]: it was saved for other trained weights");
        }
        Updates = saved ? (long)updates!.Item() : 0;
    }

    public void Dispose()
    {
        foreach (var a in _average) a.Dispose();
    }
}
