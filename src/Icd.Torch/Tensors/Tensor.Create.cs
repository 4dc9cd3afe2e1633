using Icd.Torch.Interop;

namespace Icd.Torch;

// Tensor creation (PyTorch's torch.* factory functions) and functions of several tensors.
public sealed partial class Tensor
{
    // Factory schemas end in (dtype, layout, device, pin_memory); layout and pin_memory stay None.
    private static Device Dev(Device? device) => device ?? Device.Cpu;

    public static Tensor Empty(long[] shape, DType dtype = DType.Float32, Device? device = null) =>
        Op.Get("aten::empty", "memory_format").Call(shape, dtype, Arg.None, Dev(device), Arg.None, Arg.None);

    public static Tensor Zeros(long[] shape, DType dtype = DType.Float32, Device? device = null) =>
        Op.Get("aten::zeros").Call(shape, dtype, Arg.None, Dev(device), Arg.None);

    public static Tensor Ones(long[] shape, DType dtype = DType.Float32, Device? device = null) =>
        Op.Get("aten::ones").Call(shape, dtype, Arg.None, Dev(device), Arg.None);

    public static Tensor Full(long[] shape, double value, DType dtype = DType.Float32, Device? device = null) =>
        Op.Get("aten::full").Call(shape, value, dtype, Arg.None, Dev(device), Arg.None);

    /// <summary>A 0-dimensional tensor holding one value.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) =>
        Full([], value, dtype, device);

    /// <summary>[start, end) in steps of <paramref name="step"/>, like torch.arange.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Int64, Device? device = null) =>
        Op.Get("aten::arange", "start_step").Call(start, end, step, dtype, Arg.None, Dev(device), Arg.None);

    public static Tensor Arange(long end, DType dtype = DType.Int64, Device? device = null) =>
        Arange(0, end, 1, dtype, device);

    public static Tensor Linspace(double start, double end, long steps, DType dtype = DType.Float32, Device? device = null) =>
        Op.Get("aten::linspace").Call(start, end, steps, dtype, Arg.None, Dev(device), Arg.None);

    /// <summary>Standard normal samples, drawn on the CPU from <paramref name="generator"/> as
    /// torch.randn does, then moved to <paramref name="device"/>.</summary>
    public static Tensor Randn(long[] shape, Generator generator, DType dtype = DType.Float32, Device? device = null)
    {
        var t = Op.Get("aten::randn", "generator").Call(shape, generator, dtype, Arg.None, Device.Cpu, Arg.None);
        return MoveTo(t, device);
    }

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor Rand(long[] shape, Generator generator, DType dtype = DType.Float32, Device? device = null)
    {
        var t = Op.Get("aten::rand", "generator").Call(shape, generator, dtype, Arg.None, Device.Cpu, Arg.None);
        return MoveTo(t, device);
    }

    /// <summary>Integers uniform in [low, high).</summary>
    public static Tensor Randint(long low, long high, long[] shape, Generator generator, DType dtype = DType.Int64, Device? device = null)
    {
        var t = Op.Get("aten::randint", "low_generator").Call(low, high, shape, generator, dtype, Arg.None, Device.Cpu, Arg.None);
        return MoveTo(t, device);
    }

    /// <summary>Samples category indices from the rows of non-negative <paramref name="probabilities"/>.</summary>
    public static Tensor Multinomial(Tensor probabilities, long numSamples, bool replacement, Generator generator) =>
        Op.Get("aten::multinomial").Call(probabilities, numSamples, replacement, generator);

    public static Tensor ZerosLike(Tensor t) =>
        Op.Get("aten::zeros_like").Call(t, Arg.None, Arg.None, Arg.None, Arg.None, Arg.None);

    public static Tensor OnesLike(Tensor t) =>
        Op.Get("aten::ones_like").Call(t, Arg.None, Arg.None, Arg.None, Arg.None, Arg.None);

    public static Tensor FullLike(Tensor t, double value) =>
        Op.Get("aten::full_like").Call(t, value, Arg.None, Arg.None, Arg.None, Arg.None, Arg.None);

    public static Tensor EmptyLike(Tensor t) =>
        Op.Get("aten::empty_like").Call(t, Arg.None, Arg.None, Arg.None, Arg.None, Arg.None);

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor FromValues<T>(T[] data, params long[] shape) where T : unmanaged
    {
        using var view = FromArray(data, shape.Length == 0 ? [data.LongLength] : shape); // a pinned view, copied below
        return view.Clone();
    }

    public static Tensor Cat(Tensor[] tensors, long dim = 0) => Op.Get("aten::cat").Call(tensors, dim);

    public static Tensor Stack(Tensor[] tensors, long dim = 0) => Op.Get("aten::stack").Call(tensors, dim);

    /// <summary>Picks from <paramref name="a"/> where <paramref name="condition"/> is true, else from <paramref name="b"/>.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => Op.Get("aten::where", "self").Call(condition, a, b);

    public static Tensor Einsum(string equation, params Tensor[] tensors) =>
        Op.Get("aten::einsum").Call(equation, tensors, Arg.None);

    public static Tensor Maximum(Tensor a, Tensor b) => Op.Get("aten::maximum").Call(a, b);

    public static Tensor Minimum(Tensor a, Tensor b) => Op.Get("aten::minimum").Call(a, b);

    private static Tensor MoveTo(Tensor t, Device? device)
    {
        if (device is null || device.Value.Type == DeviceType.Cpu) return t;
        using (t) return t.To(device.Value);
    }
}
