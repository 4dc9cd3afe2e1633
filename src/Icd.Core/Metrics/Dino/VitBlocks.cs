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

/// <summary>The position-embedding interpolation of DINO and transformers 4.39's ViT/DINOv2: the
/// square table of trained positions resized bicubically with the scale factors (rows + 0.1)/√N and
/// (cols + 0.1)/√N themselves (not a target size: later transformers versions differ), the class
/// token's position kept. A grid equal to the trained one is used as it is.</summary>
internal static class PositionEmbeddings
{
    public static Tensor Interpolate(Tensor table, long rows, long cols, bool inFloat32)
    {
        long positions = table.Size(1) - 1;
        if (rows * cols == positions && rows == cols) return table;
        long side = (long)Math.Sqrt(positions), dim = table.Size(2);
        var grid = table.Narrow(1, 1, positions).Reshape(1, side, side, dim).Permute(0, 3, 1, 2);
        if (inFloat32) grid = grid.To(DType.Float32);
        var resized = Functional.Interpolate(grid, (rows + 0.1) / Math.Sqrt(positions), (cols + 0.1) / Math.Sqrt(positions), InterpolationMode.Bicubic)
            .To(table.DType);
        if (resized.Size(2) != rows || resized.Size(3) != cols)
            throw new InvalidOperationException($"position grid interpolated to {resized.Size(2)}×{resized.Size(3)}, needed {rows}×{cols}");
        return Tensor.Cat([table.Narrow(1, 0, 1), resized.Permute(0, 2, 3, 1).Reshape(1, rows * cols, dim)], 1);
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
