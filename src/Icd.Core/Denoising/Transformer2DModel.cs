using Icd.Blocks;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Denoising;

/// <summary>Identity of a transformer within the UNet, handed down to its attention layers.</summary>
public sealed record TransformerLocation(AttentionPlace Place, int Block, int Layer);

/// <summary>diffusers' Transformer2DModel (continuous input): GroupNorm → proj_in → transformer
/// blocks over the H·W tokens → proj_out, plus the residual.</summary>
public sealed class Transformer2DModel : Module
{
    private readonly GroupNorm _norm;
    private readonly Module _projIn, _projOut;
    private readonly ModuleList<BasicTransformerBlock> _blocks;
    private readonly bool _linearProjection;
    private readonly UNetHooks _hooks;
    private readonly string _path;

    public Transformer2DModel(long channels, long heads, long layers, long crossAttentionDim, long groups,
        bool useLinearProjection, UNetHooks hooks, TransformerLocation location, string path)
    {
        long headDim = channels / heads;
        _linearProjection = useLinearProjection;
        _norm = Child("norm", new GroupNorm(groups, channels, 1e-6));
        _projIn = Child<Module>("proj_in", useLinearProjection ? new Linear(channels, channels) : new Conv2d(channels, channels, 1));
        _blocks = Child("transformer_blocks", new ModuleList<BasicTransformerBlock>(
            Enumerable.Range(0, (int)layers).Select(i => new BasicTransformerBlock(channels, heads, headDim, crossAttentionDim, hooks, location, i))));
        _projOut = Child<Module>("proj_out", useLinearProjection ? new Linear(channels, channels) : new Conv2d(channels, channels, 1));
        _hooks = hooks;
        _path = path;
    }

    public Tensor Forward(Tensor x, Tensor context)
    {
        using var scope = new TensorScope();
        long b = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        var normed = _norm.Forward(x);
        Tensor tokens;
        if (_linearProjection)
            tokens = ((Linear)_projIn).Forward(normed.Permute(0, 2, 3, 1).Reshape(b, h * w, c));   // (B, HW, C)
        else
            tokens = ((Conv2d)_projIn).Forward(normed).Permute(0, 2, 3, 1).Reshape(b, h * w, c);
        foreach (var block in _blocks.Items) tokens = block.Forward(tokens, context, h, w);
        Tensor output;
        if (_linearProjection)
            output = ((Linear)_projOut).Forward(tokens).Reshape(b, h, w, c).Permute(0, 3, 1, 2);
        else
            output = ((Conv2d)_projOut).Forward(tokens.Reshape(b, h, w, c).Permute(0, 3, 1, 2).Contiguous());
        var result = output + x;
        _hooks.Record(_path, result);
        return result.MoveToOuterScope();
    }
}

/// <summary>Self-attention, cross-attention and a GEGLU feed-forward, each pre-LayerNorm with a
/// residual (diffusers' BasicTransformerBlock, norm_type "layer_norm").</summary>
public sealed class BasicTransformerBlock : Module
{
    private readonly LayerNorm _norm1, _norm2, _norm3;
    private readonly Attention _attn1, _attn2;
    private readonly Linear _ffProj, _ffOut;
    private readonly UNetHooks _hooks;
    private readonly TransformerLocation _location;
    private readonly int _index;
    private readonly int _selfIndex, _crossIndex;

    public BasicTransformerBlock(long dim, long heads, long headDim, long crossAttentionDim, UNetHooks hooks,
        TransformerLocation location, int index)
    {
        _norm1 = Child("norm1", new LayerNorm(dim));
        _attn1 = Child("attn1", new Attention(dim, heads, headDim));
        _norm2 = Child("norm2", new LayerNorm(dim));
        _attn2 = Child("attn2", new Attention(dim, heads, headDim, crossAttentionDim));
        _norm3 = Child("norm3", new LayerNorm(dim));
        long inner = dim * 4;
        _ffProj = Child("ff.net.0.proj", new Linear(dim, inner * 2)); // GEGLU: value and gate halves
        _ffOut = Child("ff.net.2", new Linear(inner, dim));
        _hooks = hooks;
        _location = location;
        _index = index;
        _selfIndex = hooks.NextAttentionIndex(AttentionKind.Self);
        _crossIndex = hooks.NextAttentionIndex(AttentionKind.Cross);
    }

    public Tensor Forward(Tensor x, Tensor context, long height, long width)
    {
        using var scope = new TensorScope();
        var h = x + _attn1.Forward(_norm1.Forward(x), null, Control(AttentionKind.Self, _selfIndex, height, width));
        h = h + _attn2.Forward(_norm2.Forward(h), context, Control(AttentionKind.Cross, _crossIndex, height, width));
        var parts = _ffProj.Forward(_norm3.Forward(h)).Chunk(2, -1);
        var ff = _ffOut.Forward(parts[0] * parts[1].Gelu());
        return (h + ff).MoveToOuterScope();
    }

    private Func<Tensor, Tensor>? Control(AttentionKind kind, int index, long height, long width)
    {
        var controller = _hooks.Controller;
        if (controller is null) return null;
        var site = new AttentionSite(_location.Place, _location.Block, _location.Layer, _index, kind, index, height, width, _attn1.Heads);
        return probs => controller.Process(site, probs);
    }
}
