using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Blocks;

/// <summary>
/// diffusers' <c>Attention</c> with the default processor: to_q/to_k/to_v, scaled dot-product
/// with softmax, to_out.0. UNet layers have no q/k/v bias and pass their probabilities through
/// the installed <see cref="IAttentionController"/>; the VAE's mid-block layer
/// (<see cref="SpatialSelfAttention"/>) adds biases, a GroupNorm and a residual.
/// </summary>
public sealed class Attention : Module
{
    /// <summary>Above this many bytes of attention scores, the uncontrolled path works on blocks of
    /// query rows so that no block's scores exceed it (SD1.5's 4096-token self-attention at 512²
    /// would otherwise hold 2·8·4096² floats = 1 GiB at batch 2). Under glibc's largest mmap
    /// threshold (32 MiB) the blocks reuse heap memory instead of faulting in fresh mappings: the
    /// whole bf16 UNet measured 3.5 s at 16 MiB against 4.7 s at 256 MiB (<c>icd bench unet</c>),
    /// though one layer alone is flat (<c>icd bench attention</c>).</summary>
    public static long SliceBytes { get; set; } = 16L << 20;

    private readonly Linear _toQ, _toK, _toV, _toOut;
    private readonly long _heads, _headDim;
    private readonly double _scale;

    public Attention(long queryDim, long heads, long headDim, long? crossAttentionDim = null, bool qkvBias = false)
    {
        _heads = heads;
        _headDim = headDim;
        _scale = 1.0 / Math.Sqrt(headDim);
        long inner = heads * headDim;
        long kvDim = crossAttentionDim ?? queryDim;
        _toQ = Child("to_q", new Linear(queryDim, inner, qkvBias));
        _toK = Child("to_k", new Linear(kvDim, inner, qkvBias));
        _toV = Child("to_v", new Linear(kvDim, inner, qkvBias));
        _toOut = Child("to_out.0", new Linear(inner, queryDim)); // to_out.1 is dropout(0): nothing to store
    }

    public long Heads => _heads;

    /// <summary>hidden (B, N, C) attends to context (B, M, C'), or to itself when null.</summary>
    public Tensor Forward(Tensor hidden, Tensor? context = null, Func<Tensor, Tensor>? control = null)
    {
        using var scope = new TensorScope();
        long b = hidden.Size(0), n = hidden.Size(1);
        var kv = context ?? hidden;
        long m = kv.Size(1);
        var q = HeadsToBatch(_toQ.Forward(hidden), b, n);   // (B·heads, N, d)
        var k = HeadsToBatch(_toK.Forward(kv), b, m);       // (B·heads, M, d)
        var v = HeadsToBatch(_toV.Forward(kv), b, m);
        Tensor o;
        long probBytes = b * _heads * n * m * q.DType.ElementSize();
        if (control is null && probBytes > SliceBytes)
        {
            long rows = Math.Max(1, n * SliceBytes / probBytes);
            var parts = new List<Tensor>();
            for (long s = 0; s < n; s += rows)
            {
                using var inner = new TensorScope();
                var p = Scores(q.Narrow(1, s, Math.Min(rows, n - s)), k).Softmax(-1);
                parts.Add(p.Bmm(v).MoveToOuterScope());
            }
            o = Tensor.Cat(parts.ToArray(), 1);
        }
        else
        {
            var probs = Scores(q, k).Softmax(-1);            // (B·heads, N, M)
            if (control is not null)
            {
                probs = control(probs.View(b, _heads, n, m)).Reshape(b * _heads, n, m);
                if (probs.DType != v.DType) probs = probs.To(v.DType); // a controller's float32 tables promote half-precision maps
            }
            o = probs.Bmm(v);
        }
        var merged = o.View(b, _heads, n, _headDim).Transpose(1, 2).Reshape(b, n, _heads * _headDim);
        return _toOut.Forward(merged).MoveToOuterScope();
    }

    /// <summary>scale·q·kᵀ. In half precision the queries (N·d values) are scaled before the GEMM
    /// instead of the scores (N·M) after it: that pass over the largest tensor of the layer cost as
    /// much as the softmax in bf16. float32 keeps its original order, so its results stay the same
    /// bit for bit. (diffusers fuses the scale into baddbmm with beta = 0; libtorch 1.13's CPU
    /// baddbmm returned NaN here for query-row blocks.)</summary>
    private Tensor Scores(Tensor q, Tensor k)
    {
        if (q.DType == DType.Float32) return q.Bmm(k.Transpose(1, 2)).Mul(_scale);
        using var scaled = q.Mul(_scale);
        return scaled.Bmm(k.Transpose(1, 2));
    }

    private Tensor HeadsToBatch(Tensor x, long b, long n) =>
        x.View(b, n, _heads, _headDim).Transpose(1, 2).Reshape(b * _heads, n, _headDim);
}

/// <summary>The VAE mid-block attention (diffusers <c>Attention</c> with <c>group_norm</c>,
/// <c>residual_connection=True</c>, one head of all channels, biased q/k/v).</summary>
public sealed class SpatialSelfAttention : Module
{
    private readonly GroupNorm _groupNorm;
    private readonly Attention _attention;

    public SpatialSelfAttention(long channels, long groups, double eps)
    {
        _groupNorm = Child("group_norm", new GroupNorm(groups, channels, eps));
        _attention = new Attention(channels, 1, channels, qkvBias: true);
        // Register the attention's projections at this level: the checkpoint names them
        // `mid_block.attentions.0.to_q`, not `...attentions.0.attention.to_q`.
        foreach (var (name, child) in _attention.NamedChildren()) Child(name, child);
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = new TensorScope();
        long b = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        var tokens = _groupNorm.Forward(x).View(b, c, h * w).Transpose(1, 2);  // (B, HW, C)
        var attended = _attention.Forward(tokens).Transpose(1, 2).Reshape(b, c, h, w);
        return (attended + x).MoveToOuterScope();
    }
}
