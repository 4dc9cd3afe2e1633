using Icd.Torch.Interop;

namespace Icd.Torch;

// Views, layout, indexing, dtype and device conversion.
public sealed partial class Tensor
{
    public Tensor View(params long[] shape) => Op.Get("aten::view").Call(this, shape);
    public Tensor Reshape(params long[] shape) => Op.Get("aten::reshape").Call(this, shape);
    public Tensor Permute(params long[] dims) => Op.Get("aten::permute").Call(this, dims);
    public Tensor Transpose(long dim0, long dim1) => Op.Get("aten::transpose", "int").Call(this, dim0, dim1);

    /// <summary>The matrix transpose of a 2-D tensor.</summary>
    public Tensor T() => Op.Get("aten::t").Call(this);

    /// <summary>A contiguous (row-major) tensor; shares storage when already contiguous.</summary>
    public Tensor Contiguous() => Op.Get("aten::contiguous").Call(this, 0 /* contiguous_format */);

    public Tensor Squeeze(long dim) => Op.Get("aten::squeeze", "dim").Call(this, dim);
    public Tensor Squeeze() => Op.Get("aten::squeeze").Call(this);
    public Tensor Unsqueeze(long dim) => Op.Get("aten::unsqueeze").Call(this, dim);
    public Tensor Flatten(long startDim = 0, long endDim = -1) => Op.Get("aten::flatten", "using_ints").Call(this, startDim, endDim);
    public Tensor Expand(params long[] shape) => Op.Get("aten::expand").Call(this, shape, false);
    public Tensor ExpandAs(Tensor other) => Op.Get("aten::expand_as").Call(this, other);
    public Tensor Repeat(params long[] repeats) => Op.Get("aten::repeat").Call(this, repeats);
    public Tensor Flip(params long[] dims) => Op.Get("aten::flip").Call(this, dims);

    /// <summary>Splits into <paramref name="chunks"/> nearly equal parts along <paramref name="dim"/>.</summary>
    public Tensor[] Chunk(long chunks, long dim = 0) => Op.Get("aten::chunk").CallMany((int)chunks, this, chunks, dim);

    /// <summary>Splits into parts of <paramref name="size"/> along <paramref name="dim"/> (the last may be smaller).</summary>
    public Tensor[] Split(long size, long dim = 0)
    {
        int parts = (int)((Size((int)dim) + size - 1) / size);
        return Op.Get("aten::split", "Tensor").CallMany(Math.Max(parts, 1), this, size, dim);
    }

    public Tensor[] Split(long[] sizes, long dim = 0) =>
        Op.Get("aten::split_with_sizes").CallMany(sizes.Length, this, sizes, dim);

    /// <summary>Elements [start, start+length) along <paramref name="dim"/> (a view).</summary>
    public Tensor Narrow(long dim, long start, long length) => Op.Get("aten::narrow").Call(this, dim, start, length);

    /// <summary>Python's <c>t[..., start:end:step]</c> along <paramref name="dim"/> (a view).</summary>
    public Tensor Slice(long dim, long? start, long? end, long step = 1) =>
        Op.Get("aten::slice", "Tensor").Call(this, dim, Arg.Optional(start), Arg.Optional(end), step);

    /// <summary>Python's <c>t[..., index]</c> along <paramref name="dim"/>: removes that dimension.</summary>
    public Tensor Select(long dim, long index) => Op.Get("aten::select", "int").Call(this, dim, index);

    public Tensor IndexSelect(long dim, Tensor index) => Op.Get("aten::index_select").Call(this, dim, index);
    public Tensor Gather(long dim, Tensor index) => Op.Get("aten::gather").Call(this, dim, index, false);

    /// <summary>Advanced indexing <c>t[i0, i1, ...]</c> with tensor indices (null = full slice).</summary>
    public Tensor Index(params Tensor?[] indices) => Op.Get("aten::index", "Tensor").Call(this, Arg.OptionalTensors(indices));

    /// <summary>Sliding windows of <paramref name="size"/> with <paramref name="step"/> along a dimension (a view).</summary>
    public Tensor Unfold(long dim, long size, long step) => Op.Get("aten::unfold").Call(this, dim, size, step);

    public Tensor Tril(long diagonal = 0) => Op.Get("aten::tril").Call(this, diagonal);
    public Tensor Triu(long diagonal = 0) => Op.Get("aten::triu").Call(this, diagonal);

    /// <summary>A copy with its own storage.</summary>
    public Tensor Clone() => Op.Get("aten::clone").Call(this, Arg.None);

    /// <summary>The same data, cut from the autograd graph.</summary>
    public Tensor Detach() => Op.Get("aten::detach").Call(this);

    public Tensor To(DType dtype) => Op.Get("aten::to", "dtype").Call(this, dtype, false, false, Arg.None);

    public Tensor To(Device device) => Op.Get("aten::to", "device").Call(this, device, DType, false, false, Arg.None);

    public Tensor To(Device device, DType dtype) => Op.Get("aten::to", "device").Call(this, device, dtype, false, false, Arg.None);

    /// <summary>Pads the last dimensions (pairs, last dimension first, as F.pad) with a constant.</summary>
    public Tensor Pad(long[] pad, double value = 0) => Op.Get("aten::constant_pad_nd").Call(this, pad, value);
}
