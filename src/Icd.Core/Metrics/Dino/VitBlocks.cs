using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Metrics.Dino;

/// <summary>transformers' ViT/DINOv2 attention (<c>attention.attention.{query,key,value}</c>,
/// <c>attention.output.dense</c>): scores q·kᵀ/√d, softmax, no mask. Also hands out the keys,
/// which PIE-Bench's structure distance compares.</summary>
public sealed class VitAttention : Module
{
    private readonly Linear _query, _key, _value, _dense;
    private readonly long _heads, _headDim;

    public VitAttention(long hidden, long heads, bool qkvBias)
    {
        _heads = heads;
        _headDim = hidden / heads;
        var self = Child("attention", new Container());
        _query = self.Add("query", new Linear(hidden, hidden, qkvBias));
        _key = self.Add("key", new Linear(hidden, hidden, qkvBias));
        _value = self.Add("value", new Linear(hidden, hidden, qkvBias));
        _dense = Child("output", new Container()).Add("dense", new Linear(hidden, hidden));
    }

    /// <summary>(B, T, D) → (B, T, D); <paramref name="keys"/> gets the key projection (B, T, D)
    /// (heads side by side) when asked for.</summary>
    public Tensor Forward(Tensor h, bool keepKeys, out Tensor? keys)
    {
        long b = h.Size(0), t = h.Size(1);
        Tensor Split(Tensor x) => x.View(b, t, _heads, _headDim).Transpose(1, 2);   // (B, heads, T, d)
        var k = _key.Forward(h);
        keys = keepKeys ? k : null;
        var scores = Split(_query.Forward(h)).Matmul(Split(k).Transpose(-1, -2)) / Math.Sqrt(_headDim);
        var context = scores.Softmax(-1).Matmul(Split(_value.Forward(h)));            // (B, heads, T, d)
        return _dense.Forward(context.Transpose(1, 2).Reshape(b, t, _heads * _headDim));
    }
}

internal static class Activations
{
    public static Tensor Apply(string act, Tensor x) => act switch
    {
        "gelu" => x.Gelu(),
        "quick_gelu" => x.QuickGelu(),
        _ => x.Gelu(tanhApproximation: true),
    };
}
