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
    /// <summary>Above this many bytes of attention probabilities, the uncontrolled path works on
    /// slices of the (batch·heads) dimension so that peak memory stays bounded (the 4096-token
    /// self-attention of SD1.5 at 512² would otherwise hold 2·8·4096² floats = 1 GiB).</summary>
    public static long SliceBytes { get; set; } = 256L << 20;

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
        long probBytes = b * _heads * n * m * 4;
        if (control is null && probBytes > SliceBytes)
        {
            long slice = Math.Max(1, b * _heads * SliceBytes / probBytes);
            var parts = new List<Tensor>();
            for (long s = 0; s < b * _heads; s += slice)
            {
                long len = Math.Min(slice, b * _heads - s);
                using var inner = new TensorScope();
                var p = Scores(q.Narrow(0, s, len), k.Narrow(0, s, len)).Softmax(-1);
                parts.Add(p.Bmm(v.Narrow(0, s, len)).MoveToOuterScope());
            }
            o = Tensor.Cat(parts.ToArray(), 0);
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

    private Tensor Scores(Tensor q, Tensor k) => q.Bmm(k.Transpose(1, 2)).Mul(_scale);

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
