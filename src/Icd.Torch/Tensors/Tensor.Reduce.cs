using Icd.Torch.Interop;

namespace Icd.Torch;

// Reductions, scans, sorting.
public sealed partial class Tensor
{
    public Tensor Sum() => Op.Get("aten::sum").Call(this, Arg.None);
    public Tensor Sum(long[] dims, bool keepDim = false) => Op.Get("aten::sum", "dim_IntList").Call(this, dims, keepDim, Arg.None);
    public Tensor Sum(long dim, bool keepDim = false) => Sum([dim], keepDim);

    public Tensor Mean() => Op.Get("aten::mean").Call(this, Arg.None);
    public Tensor Mean(long[] dims, bool keepDim = false) => Op.Get("aten::mean", "dim").Call(this, dims, keepDim, Arg.None);
    public Tensor Mean(long dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Variance; <paramref name="unbiased"/> divides by N−1 as torch.var does by default.</summary>
    public Tensor Var(bool unbiased = true) => Op.Get("aten::var").Call(this, unbiased);
    public Tensor Var(long[] dims, bool unbiased = true, bool keepDim = false) => Op.Get("aten::var", "dim").Call(this, dims, unbiased, keepDim);
    public Tensor Std(bool unbiased = true) => Op.Get("aten::std").Call(this, unbiased);
    public Tensor Std(long[] dims, bool unbiased = true, bool keepDim = false) => Op.Get("aten::std", "dim").Call(this, dims, unbiased, keepDim);

    public Tensor Max() => Op.Get("aten::max").Call(this);
    public Tensor Min() => Op.Get("aten::min").Call(this);

    /// <summary>Maximum along a dimension: (values, indices).</summary>
    public (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false)
    {
        var r = Op.Get("aten::max", "dim").CallMany(2, this, dim, keepDim);
        return (r[0], r[1]);
    }

    public (Tensor Values, Tensor Indices) Min(long dim, bool keepDim = false)
    {
        var r = Op.Get("aten::min", "dim").CallMany(2, this, dim, keepDim);
        return (r[0], r[1]);
    }

    public Tensor Amax(long[] dims, bool keepDim = false) => Op.Get("aten::amax").Call(this, dims, keepDim);
    public Tensor Argmax(long? dim = null, bool keepDim = false) => Op.Get("aten::argmax").Call(this, Arg.Optional(dim), keepDim);

    /// <summary>The p-norm over all elements (2 = Euclidean, as torch.norm).</summary>
    public Tensor Norm(double p = 2) => Op.Get("aten::linalg_vector_norm").Call(this, p, Arg.None, false, Arg.None);

    public Tensor Norm(double p, long[] dims, bool keepDim = false) =>
        Op.Get("aten::linalg_vector_norm").Call(this, p, dims, keepDim, Arg.None);

    public Tensor Cumsum(long dim) => Op.Get("aten::cumsum").Call(this, dim, Arg.None);
    public Tensor Cumprod(long dim) => Op.Get("aten::cumprod").Call(this, dim, Arg.None);

    public (Tensor Values, Tensor Indices) Topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        var r = Op.Get("aten::topk").CallMany(2, this, k, dim, largest, sorted);
        return (r[0], r[1]);
    }

    /// <summary>torch.linalg.eigh: eigenvalues (ascending) and eigenvectors (columns) of a symmetric
    /// matrix, from its lower triangle (LAPACK through libtorch).</summary>
    public (Tensor Eigenvalues, Tensor Eigenvectors) LinalgEigh()
    {
        var r = Op.Get("aten::linalg_eigh").CallMany(2, this, "L");
        return (r[0], r[1]);
    }

    public (Tensor Values, Tensor Indices) Sort(long dim = -1, bool descending = false)
    {
        var r = Op.Get("aten::sort").CallMany(2, this, dim, descending);
        return (r[0], r[1]);
    }

    public bool Any() { using var r = Op.Get("aten::any").Call(this); return r.Item() != 0; }
    public bool All() { using var r = Op.Get("aten::all").Call(this); return r.Item() != 0; }

    /// <summary>True when no element is NaN or ±infinity (one pass; weights, latents, checkpoints).</summary>
    public bool AllFinite() { using var finite = IsFinite(); return finite.All(); }
}
