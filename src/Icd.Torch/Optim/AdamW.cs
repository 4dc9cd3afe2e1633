namespace Icd.Torch.Optim;

/// <summary>Settings of <see cref="AdamW"/>; defaults are PyTorch's except the weight decay,
/// which iCD's training scripts set to 0.</summary>
public sealed record AdamWOptions(
    double LearningRate = 1e-3,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Eps = 1e-8,
    double WeightDecay = 0.0)
{
    public void Validate()
    {
        if (!(LearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be >= 0");
        if (!(Beta1 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "must be in [0, 1)");
        if (!(Beta2 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "must be in [0, 1)");
        if (!(Eps >= 0)) throw new ArgumentOutOfRangeException(nameof(Eps), Eps, "must be >= 0");
        if (!(WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "must be >= 0");
    }
}

/// <summary>
/// AdamW with the numerics of torch.optim.AdamW (1.13, single-tensor path):
/// p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
/// p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps).
/// Parameters without a gradient are skipped, as in PyTorch.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly Tensor[] _parameters;
    private readonly Tensor?[] _expAvg;
    private readonly Tensor?[] _expAvgSq;

    public AdamW(IEnumerable<Tensor> parameters, AdamWOptions options)
    {
        options.Validate();
        Options = options;
        LearningRate = options.LearningRate;
        _parameters = parameters.ToArray();
        foreach (var p in _parameters)
        {
            if (!p.RequiresGrad) throw new ArgumentException($"{p.Describe()} does not require grad: freeze it by leaving it out of the optimizer", nameof(parameters));
        }
        _expAvg = new Tensor?[_parameters.Length];
        _expAvgSq = new Tensor?[_parameters.Length];
    }

    public AdamWOptions Options { get; }

    /// <summary>The learning rate of the next step (a schedule sets it before each step).</summary>
    public double LearningRate { get; set; }

    /// <summary>Steps taken so far (PyTorch keeps one per parameter; they are always equal here
    /// unless a parameter had no gradient).</summary>
    public long StepCount { get; private set; }

    private long[] _steps = [];

    public IReadOnlyList<Tensor> ParameterList => _parameters;

    public void Step()
    {
        if (_steps.Length != _parameters.Length) _steps = new long[_parameters.Length];
        StepCount++;
        double lr = LearningRate, b1 = Options.Beta1, b2 = Options.Beta2;
        using var noGrad = Autograd.NoGrad();
        for (int k = 0; k < _parameters.Length; k++)
        {
            var p = _parameters[k];
            using var grad = p.Grad;
            if (grad is null) continue;
            long step = ++_steps[k];
            var m = _expAvg[k] ??= Tensor.ZerosLike(p).DetachFromScope();
            var v = _expAvgSq[k] ??= Tensor.ZerosLike(p).DetachFromScope();

            if (Options.WeightDecay != 0) p.Mul_(1 - lr * Options.WeightDecay);
            m.Lerp_(grad, 1 - b1);
            v.Mul_(b2).Addcmul_(grad, grad, 1 - b2);
            double biasCorrection1 = 1 - Math.Pow(b1, step);
            double biasCorrection2 = 1 - Math.Pow(b2, step);
            double stepSize = lr / biasCorrection1;
            using var root = v.Sqrt();
            using var denom = root.Div_(Math.Sqrt(biasCorrection2)).Add_(Options.Eps);
            p.Addcdiv_(m, denom, -stepSize);
        }
    }

    /// <summary>Drops every gradient (PyTorch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.Grad = null;
    }

    /// <summary>Optimizer state for checkpoints: exp_avg/exp_avg_sq per parameter index and steps.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int k = 0; k < _parameters.Length; k++)
        {
            if (_expAvg[k] is null) continue;
            state[$"state.{k}.exp_avg"] = _expAvg[k]!.Detach().DetachFromScope();
            state[$"state.{k}.exp_avg_sq"] = _expAvgSq[k]!.Detach().DetachFromScope();
            state[$"state.{k}.step"] = Tensor.FromValues(new[] { _steps[k] }).DetachFromScope();
        }
        state["step_count"] = Tensor.FromValues(new[] { StepCount }).DetachFromScope();
        state["lr"] = Tensor.FromValues(new[] { LearningRate }).DetachFromScope();
        return state;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        if (_steps.Length != _parameters.Length) _steps = new long[_parameters.Length];
        using var noGrad = Autograd.NoGrad();
        for (int k = 0; k < _parameters.Length; k++)
        {
            if (!state.TryGetValue($"state.{k}.exp_avg", out var m)) continue;
            _expAvg[k]?.Dispose();
            _expAvgSq[k]?.Dispose();
            _expAvg[k] = m.Clone().DetachFromScope();
            _expAvgSq[k] = state[$"state.{k}.exp_avg_sq"].Clone().DetachFromScope();
            _steps[k] = (long)state[$"state.{k}.step"].Item();
        }
        StepCount = (long)state["step_count"].Item();
        LearningRate = state["lr"].Item();
    }

    public void Dispose()
    {
        foreach (var t in _expAvg) t?.Dispose();
        foreach (var t in _expAvgSq) t?.Dispose();
    }
}
