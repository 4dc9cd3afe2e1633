namespace Icd.Torch.Nn;

/// <summary>
/// One low-rank adapter on a Linear or Conv2d: y = base(x) + scale·B(A(x)), with A [r, in] (conv:
/// [r, in, k, k], same stride and padding as the base) and B [out, r] (conv: [out, r, 1, 1]),
/// as PEFT stores them. scale = alpha / r.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    public LoraAdapter(Tensor a, Tensor b, double scale)
    {
        long rank = a.Size(0);
        if (rank != b.Size(1))
            throw new ArgumentException($"LoRA rank mismatch: A is [{string.Join(", ", a.Shape)}], B is [{string.Join(", ", b.Shape)}]");
        A = a.DetachFromScope();
        B = b.DetachFromScope();
        Scale = scale;
        Rank = rank;
        long outputs = b.Size(0), fanIn = a.NumberOfElements / rank;
        MergesWhileTraining = fanIn * outputs <= 3 * rank * (fanIn + outputs);
    }

    public Tensor A { get; }
    public Tensor B { get; }
    public double Scale { get; }
    /// <summary>r, read once from A's shape (A is owned and never reshaped).</summary>
    public long Rank { get; }

    /// <summary>Whether the layer runs the merged weight while this adapter trains: its backward
    /// forms the whole weight's gradient (per pixel: fan-in × out multiply-adds), against about
    /// 3·r·(fan-in + out) for PEFT's two layers forward and back (<see cref="LoraSlots.MergedWeight"/>).
    /// Fixed by the shapes, so decided once.</summary>
    internal bool MergesWhileTraining { get; }

    /// <summary>ΔW = scale·B·A, shaped like the base weight (conv: flattened product, reshaped).</summary>
    public Tensor Delta(long[] weightShape)
    {
        using var scope = new TensorScope();
        var product = B.Flatten(1).Mm(A.Flatten(1)).Mul(Scale);   // (out, in·k·k)
        return product.Reshape(weightShape).MoveToOuterScope();
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}

/// <summary>A layer that can carry named LoRA adapters (one active at a time) and fuse one into
/// its weight. Fusing keeps the original weight so that unfusing restores it bit for bit.</summary>
public interface ILoraLayer
{
    Tensor Weight { get; }

    IReadOnlyDictionary<string, LoraAdapter> Adapters { get; }

    /// <summary>The adapter applied in Forward (null: none). A fused adapter is not applied again.</summary>
    string? ActiveAdapter { get; set; }

    string? FusedAdapter { get; }

    /// <summary>Shapes A and B must have for rank <paramref name="rank"/> on this layer.</summary>
    (long[] A, long[] B) LoraShapes(long rank);

    void AddAdapter(string name, LoraAdapter adapter);

    void RemoveAdapter(string name);

    void Fuse(string name);

    void Unfuse();
}

/// <summary>The adapter bookkeeping shared by <see cref="Linear"/> and <see cref="Conv2d"/>.</summary>
internal sealed class LoraSlots : IDisposable
{
    private readonly Dictionary<string, LoraAdapter> _adapters = new(StringComparer.Ordinal);
    private Tensor? _unfusedWeight;
    private string? _active;

    public IReadOnlyDictionary<string, LoraAdapter> Adapters => _adapters;

    public string? FusedAdapter { get; private set; }

    public string? Active
    {
        get => _active;
        set
        {
            if (value is not null && !_adapters.ContainsKey(value))
                throw new KeyNotFoundException($"no LoRA adapter named '{value}' on this layer");
            _active = value;
        }
    }

    /// <summary>The adapter Forward must apply: the active one, unless it is fused already.</summary>
    public LoraAdapter? Applied => _active is null || _active == FusedAdapter ? null : _adapters[_active];

    /// <summary>
    /// The weight to run the layer with, W + scale·B·A (made per call, owned by the caller), or null
    /// for PEFT's two-layer form base(x) + scale·B(A(x)). Same function either way; the choice is cost.
    /// When A and B need no gradient (no_grad, a frozen adapter: the iCD students' target passes,
    /// Guide-and-Rescale's latent gradients) the merged weight costs one small product per call
    /// instead of two extra layers over every pixel or token. When they train, the merged form is
    /// taken when it is no dearer (<see cref="LoraAdapter.MergesWhileTraining"/>). At the Shapes
    /// students' r = 32 that is every targeted layer (at r = 16, all but the convolutions and
    /// feed-forward layers of the 64-channel levels); at SD1.5's widths (320–1280 channels, r = 64)
    /// the 3×3 convolutions keep the two-layer form.
    /// </summary>
    public static Tensor? MergedWeight(Tensor weight, LoraAdapter adapter)
    {
        if (!adapter.MergesWhileTraining && Autograd.IsGradEnabled && (adapter.A.RequiresGrad || adapter.B.RequiresGrad))
            return null;
        using var delta = adapter.Delta(weight.Shape);
        return weight.Add(delta);
    }

    public void Add(string name, LoraAdapter adapter, long[] expectedA, long[] expectedB)
    {
        if (!adapter.A.Shape.SequenceEqual(expectedA) || !adapter.B.Shape.SequenceEqual(expectedB))
            throw new ArgumentException($"LoRA '{name}': A [{string.Join(", ", adapter.A.Shape)}] and B [{string.Join(", ", adapter.B.Shape)}] do not fit this layer (expected [{string.Join(", ", expectedA)}] and [{string.Join(", ", expectedB)}])");
        if (_adapters.Remove(name, out var old)) old.Dispose();
        _adapters[name] = adapter;
    }

    public void Remove(string name)
    {
        if (FusedAdapter == name) throw new InvalidOperationException($"LoRA '{name}' is fused; unfuse it first");
        if (_adapters.Remove(name, out var old)) old.Dispose();
        if (_active == name) _active = null;
    }

    public void Fuse(string name, Tensor weight)
    {
        if (FusedAdapter is not null) throw new InvalidOperationException($"LoRA '{FusedAdapter}' is already fused into this layer");
        if (!_adapters.TryGetValue(name, out var adapter)) throw new KeyNotFoundException($"no LoRA adapter named '{name}' on this layer");
        using var noGrad = Autograd.NoGrad();
        _unfusedWeight = weight.Clone().DetachFromScope();
        using var delta = adapter.Delta(weight.Shape);
        weight.Add_(delta);
        FusedAdapter = name;
    }

    public void Unfuse(Tensor weight)
    {
        if (FusedAdapter is null) return;
        using var noGrad = Autograd.NoGrad();
        weight.Copy_(_unfusedWeight!);
        _unfusedWeight!.Dispose();
        _unfusedWeight = null;
        FusedAdapter = null;
    }

    public void Dispose()
    {
        foreach (var a in _adapters.Values) a.Dispose();
        _adapters.Clear();
        _unfusedWeight?.Dispose();
    }
}
