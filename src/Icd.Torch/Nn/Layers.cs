namespace Icd.Torch.Nn;

/// <summary>y = x·Wᵀ + b. Weight [out, in] as in PyTorch. Can carry LoRA adapters.</summary>
public sealed class Linear : Module, ILoraLayer
{
    private readonly LoraSlots _lora = new();

    public Linear(long inFeatures, long outFeatures, bool bias = true)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = Parameter("weight", Init.FanIn([outFeatures, inFeatures], inFeatures));
        Bias = bias ? Parameter("bias", Init.FanIn([outFeatures], inFeatures)) : null;
    }

    public long InFeatures { get; }
    public long OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Tensor Forward(Tensor x)
    {
        var lora = _lora.Applied;
        if (lora is null) return Functional.Linear(x, Weight, Bias);
        if (LoraSlots.MergedWeight(Weight, lora) is { } merged)
            using (merged)
                return Functional.Linear(x, merged, Bias);
        using (var y = Functional.Linear(x, Weight, Bias))
        using (var down = Functional.Linear(x, lora.A))
        using (var up = Functional.Linear(down, lora.B))
            return y.Add(up, lora.Scale);
    }

    public IReadOnlyDictionary<string, LoraAdapter> Adapters => _lora.Adapters;
    public string? ActiveAdapter { get => _lora.Active; set => _lora.Active = value; }
    public string? FusedAdapter => _lora.FusedAdapter;
    public (long[] A, long[] B) LoraShapes(long rank) => ([rank, InFeatures], [OutFeatures, rank]);
    public void AddAdapter(string name, LoraAdapter adapter) { var (a, b) = LoraShapes(adapter.Rank); _lora.Add(name, adapter, a, b); }
    public void RemoveAdapter(string name) => _lora.Remove(name);
    public void Fuse(string name) => _lora.Fuse(name, Weight);
    public void Unfuse() => _lora.Unfuse(Weight);
    protected override void DisposeExtra() => _lora.Dispose();
}

/// <summary>2-D convolution, square kernel. Weight [out, in/groups, k, k]. Can carry LoRA adapters.</summary>
public sealed class Conv2d : Module, ILoraLayer
{
    private readonly LoraSlots _lora = new();

    public Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0,
        long groups = 1, bool bias = true)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Groups = groups;
        long fanIn = inChannels / groups * kernelSize * kernelSize;
        Weight = Parameter("weight", Init.FanIn([outChannels, inChannels / groups, kernelSize, kernelSize], fanIn));
        Bias = bias ? Parameter("bias", Init.FanIn([outChannels], fanIn)) : null;
    }

    public long InChannels { get; }
    public long OutChannels { get; }
    public long KernelSize { get; }
    public long Stride { get; }
    public long Padding { get; }
    public long Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Tensor Forward(Tensor x)
    {
        var lora = _lora.Applied;
        if (lora is null) return Functional.Conv2d(x, Weight, Bias, Stride, Padding, 1, Groups);
        if (LoraSlots.MergedWeight(Weight, lora) is { } merged)
            using (merged)
                return Functional.Conv2d(x, merged, Bias, Stride, Padding, 1, Groups);
        // PEFT: A is a conv with the base kernel, stride and padding; B is 1×1.
        using (var y = Functional.Conv2d(x, Weight, Bias, Stride, Padding, 1, Groups))
        using (var down = Functional.Conv2d(x, lora.A, null, Stride, Padding))
        using (var up = Functional.Conv2d(down, lora.B))
            return y.Add(up, lora.Scale);
    }

    public IReadOnlyDictionary<string, LoraAdapter> Adapters => _lora.Adapters;
    public string? ActiveAdapter { get => _lora.Active; set => _lora.Active = value; }
    public string? FusedAdapter => _lora.FusedAdapter;

    public (long[] A, long[] B) LoraShapes(long rank)
    {
        if (Groups != 1) throw new NotSupportedException("LoRA on grouped convolutions is not supported");
        return ([rank, InChannels, KernelSize, KernelSize], [OutChannels, rank, 1, 1]);
    }

    public void AddAdapter(string name, LoraAdapter adapter) { var (a, b) = LoraShapes(adapter.Rank); _lora.Add(name, adapter, a, b); }
    public void RemoveAdapter(string name) => _lora.Remove(name);
    public void Fuse(string name) => _lora.Fuse(name, Weight);
    public void Unfuse() => _lora.Unfuse(Weight);
    protected override void DisposeExtra() => _lora.Dispose();
}

public sealed class GroupNorm : Module
{
    public GroupNorm(long groups, long channels, double eps = 1e-5, bool affine = true)
    {
        if (channels % groups != 0)
            throw new ArgumentException($"GroupNorm: {channels} channels are not divisible into {groups} groups", nameof(groups));
        Groups = groups;
        Eps = eps;
        Weight = affine ? Parameter("weight", Tensor.Ones([channels])) : null;
        Bias = affine ? Parameter("bias", Tensor.Zeros([channels])) : null;
    }

    public long Groups { get; }
    public double Eps { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    /// <summary>Normalises in the weights' dtype: under mixed precision a bf16 activation meets float32
    /// masters, and libtorch 1.13's autocast leaves norms to the caller (norm statistics belong in float32).</summary>
    public Tensor Forward(Tensor x)
    {
        if (Weight is null || x.DType == Weight.DType) return Functional.GroupNorm(x, Groups, Weight, Bias, Eps);
        using var cast = x.To(Weight.DType);
        return Functional.GroupNorm(cast, Groups, Weight, Bias, Eps);
    }
}

public sealed class LayerNorm : Module
{
    private readonly long[] _shape;

    public LayerNorm(long dim, double eps = 1e-5, bool affine = true)
    {
        _shape = [dim];
        Eps = eps;
        Weight = affine ? Parameter("weight", Tensor.Ones([dim])) : null;
        Bias = affine ? Parameter("bias", Tensor.Zeros([dim])) : null;
    }

    public double Eps { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    /// <summary>In the weights' dtype, as <see cref="GroupNorm.Forward"/>.</summary>
    public Tensor Forward(Tensor x)
    {
        if (Weight is null || x.DType == Weight.DType) return Functional.LayerNorm(x, _shape, Weight, Bias, Eps);
        using var cast = x.To(Weight.DType);
        return Functional.LayerNorm(cast, _shape, Weight, Bias, Eps);
    }
}

public sealed class Embedding : Module
{
    public Embedding(long count, long dim)
    {
        Weight = Parameter("weight", Init.Normal([count, dim], 1.0));
    }

    public Tensor Weight { get; }

    public Tensor Forward(Tensor indices) => Functional.Embedding(Weight, indices);
}

public sealed class Dropout(double p) : Module
{
    public double P { get; } = p;

    public Tensor Forward(Tensor x) => P == 0 || !Training ? x.Share() : Functional.Dropout(x, P, true);
}

/// <summary>An indexed list of children registered as "0", "1", ... (PyTorch's nn.ModuleList).</summary>
public sealed class ModuleList<T> : Module where T : Module
{
    private readonly List<T> _items = new();

    public ModuleList(IEnumerable<T>? items = null)
    {
        if (items is null) return;
        foreach (var item in items) Add(item);
    }

    public T Add(T item)
    {
        Child(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), item);
        _items.Add(item);
        return item;
    }

    public int Count => _items.Count;

    public T this[int index] => _items[index];

    public IReadOnlyList<T> Items => _items;
}
