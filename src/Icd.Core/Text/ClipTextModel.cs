using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Text;

/// <summary>transformers' CLIPTextModel: the text transformer under <c>text_model</c>. Its last
/// hidden state is SD1.5's <c>encoder_hidden_states</c>; SDXL takes the penultimate one.</summary>
public sealed class ClipTextModel : Module
{
    private readonly ClipTextTransformer _textModel;

    public ClipTextModel(ClipTextConfig config)
    {
        Config = config.Validate();
        _textModel = Child("text_model", new ClipTextTransformer(config));
    }

    public ClipTextConfig Config { get; }

    /// <summary>Checkpoints may carry the constant <c>position_ids</c> buffer (0..76); it is ignored.</summary>
    public static bool IsIgnorableKey(string key) => key == "text_model.embeddings.position_ids";

    /// <summary>Token ids [B, T] (int64) → last hidden state [B, T, hidden].</summary>
    public Tensor Forward(Tensor inputIds)
    {
        var states = _textModel.Forward(inputIds);
        states.PenultimateHiddenState.Dispose();
        return states.LastHiddenState;
    }

    /// <summary>Token ids [B, T] → the last and the penultimate hidden states.</summary>
    public ClipTextStates ForwardStates(Tensor inputIds) => _textModel.Forward(inputIds);

    /// <summary>Pooled output: the hidden state at the first end-of-text token of each row.</summary>
    public Tensor Pool(Tensor lastHiddenState, Tensor inputIds) => _textModel.Pool(lastHiddenState, inputIds);
}

/// <summary>The two hidden states SD pipelines read: the final layer norm's output, and
/// transformers' <c>hidden_states[-2]</c> (the last block's input, without the final norm).</summary>
public sealed record ClipTextStates(Tensor LastHiddenState, Tensor PenultimateHiddenState);

/// <summary>transformers' CLIPTextTransformer (<c>text_model</c>): token + position embeddings,
/// pre-LayerNorm causal transformer, final LayerNorm.</summary>
public sealed class ClipTextTransformer : Module
{
    private readonly Embedding _tokenEmbedding;
    private readonly Embedding _positionEmbedding;
    private readonly ModuleList<ClipEncoderLayer> _layers;
    private readonly LayerNorm _finalLayerNorm;
    private readonly ClipTextConfig _config;

    public ClipTextTransformer(ClipTextConfig config)
    {
        _config = config;
        var embeddings = Child("embeddings", new Container());
        _tokenEmbedding = embeddings.Add("token_embedding", new Embedding(config.VocabSize, config.HiddenSize));
        _positionEmbedding = embeddings.Add("position_embedding", new Embedding(config.MaxPositionEmbeddings, config.HiddenSize));
        var encoder = Child("encoder", new Container());
        _layers = encoder.Add("layers", new ModuleList<ClipEncoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new ClipEncoderLayer(
                config.HiddenSize, config.NumAttentionHeads, config.IntermediateSize, config.HiddenAct, config.LayerNormEps))));
        _finalLayerNorm = Child("final_layer_norm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
    }

    public ClipTextStates Forward(Tensor inputIds)
    {
        using var scope = new TensorScope();
        long length = inputIds.Size(1);
        if (length > _config.MaxPositionEmbeddings)
            throw new ArgumentException($"{length} tokens exceed max_position_embeddings {_config.MaxPositionEmbeddings}", nameof(inputIds));
        var positions = Tensor.Arange(length, device: inputIds.Device).Unsqueeze(0);
        var h = _tokenEmbedding.Forward(inputIds) + _positionEmbedding.Forward(positions);
        // Causal mask: position i attends to j ≤ i only (no padding mask, as SD uses it).
        var mask = Tensor.Full([length, length], Lowest(h.DType), h.DType, h.Device).Triu(1);
        var penultimate = h;
        foreach (var layer in _layers.Items)
        {
            penultimate = h;
            h = layer.Forward(h, mask);
        }
        var last = _finalLayerNorm.Forward(h);
        // Half-precision encoders hand float32 states on, as every network here returns float32.
        if (last.DType != DType.Float32) (last, penultimate) = (last.To(DType.Float32), penultimate.To(DType.Float32));
        return new ClipTextStates(last.MoveToOuterScope(), penultimate.MoveToOuterScope());
    }

    /// <summary>The most negative finite value of the dtype (transformers' finfo(dtype).min).</summary>
    private static double Lowest(DType dtype) => dtype switch
    {
        DType.BFloat16 => -3.3895313892515355e38,
        DType.Float16 => -65504,
        _ => float.MinValue,
    };

    /// <summary>The hidden state at each row's end-of-text token. transformers takes the argmax of
    /// the ids when the config's <c>eos_token_id</c> is 2 (the legacy value SD ships): that is the
    /// first <c>&lt;|endoftext|&gt;</c>, the largest id; otherwise the first <c>eos_token_id</c>.</summary>
    public Tensor Pool(Tensor lastHiddenState, Tensor inputIds)
    {
        using var scope = new TensorScope();
        var eos = _config.EosTokenId == 2 ? inputIds.Argmax(-1) : inputIds.Eq(_config.EosTokenId).To(DType.Int32).Argmax(-1);
        var rows = Tensor.Arange(inputIds.Size(0), device: inputIds.Device);
        return lastHiddenState.Index(rows, eos).MoveToOuterScope();
    }
}

/// <summary>transformers' CLIPTextModelWithProjection (SDXL's <c>text_encoder_2</c>): the text
/// transformer, and <c>text_projection</c> (no bias) of the pooled state as <c>text_embeds</c>.</summary>
public sealed class ClipTextModelWithProjection : Module
{
    private readonly ClipTextTransformer _textModel;
    private readonly Linear _textProjection;

    public ClipTextModelWithProjection(ClipTextConfig config)
    {
        Config = config.Validate();
        _textModel = Child("text_model", new ClipTextTransformer(config));
        _textProjection = Child("text_projection", new Linear(config.HiddenSize, config.ProjectionDim, bias: false));
    }

    public ClipTextConfig Config { get; }

    /// <summary>Token ids [B, T] → hidden states and the projected pooled embedding [B, projection_dim].</summary>
    public (ClipTextStates States, Tensor TextEmbeds) Forward(Tensor inputIds)
    {
        var states = _textModel.Forward(inputIds);
        using var pooled = _textModel.Pool(states.LastHiddenState, inputIds);
        var dtype = _textProjection.Weight.DType;
        if (dtype == DType.Float32) return (states, _textProjection.Forward(pooled));
        using var cast = pooled.To(dtype);
        using var projected = _textProjection.Forward(cast);
        return (states, projected.To(DType.Float32));
    }
}

/// <summary>A named level of the module tree with no computation of its own (<c>text_model</c>,
/// <c>embeddings</c>, ...), so that parameter paths equal the checkpoint's.</summary>
public sealed class Container : Module
{
    public T Add<T>(string name, T module) where T : Module => Child(name, module);

    public Tensor AddParameter(string name, Tensor value) => Parameter(name, value);
}

/// <summary>CLIP's pre-LayerNorm transformer block, shared by the text and the vision tower.</summary>
public sealed class ClipEncoderLayer : Module
{
    private readonly ClipAttention _selfAttn;
    private readonly LayerNorm _layerNorm1, _layerNorm2;
    private readonly Linear _fc1, _fc2;
    private readonly string _act;

    public ClipEncoderLayer(long hiddenSize, long heads, long intermediateSize, string hiddenAct, double layerNormEps)
    {
        _selfAttn = Child("self_attn", new ClipAttention(hiddenSize, heads));
        _layerNorm1 = Child("layer_norm1", new LayerNorm(hiddenSize, layerNormEps));
        var mlp = Child("mlp", new Container());
        _fc1 = mlp.Add("fc1", new Linear(hiddenSize, intermediateSize));
        _fc2 = mlp.Add("fc2", new Linear(intermediateSize, hiddenSize));
        _layerNorm2 = Child("layer_norm2", new LayerNorm(hiddenSize, layerNormEps));
        _act = hiddenAct;
    }

    /// <summary>The text tower passes its causal mask; the vision tower none.</summary>
    public Tensor Forward(Tensor h, Tensor? mask)
    {
        var attended = h + _selfAttn.Forward(_layerNorm1.Forward(h), mask);
        var inner = _fc1.Forward(_layerNorm2.Forward(attended));
        inner = _act switch
        {
            "quick_gelu" => inner.QuickGelu(),
            "gelu" => inner.Gelu(),
            _ => inner.Gelu(tanhApproximation: true), // gelu_new, gelu_pytorch_tanh
        };
        return attended + _fc2.Forward(inner);
    }
}

public sealed class ClipAttention : Module
{
    private readonly Linear _q, _k, _v, _out;
    private readonly long _heads, _headDim;

    public ClipAttention(long dim, long heads)
    {
        _heads = heads;
        _headDim = dim / heads;
        _k = Child("k_proj", new Linear(dim, dim));
        _v = Child("v_proj", new Linear(dim, dim));
        _q = Child("q_proj", new Linear(dim, dim));
        _out = Child("out_proj", new Linear(dim, dim));
    }

    public Tensor Forward(Tensor h, Tensor? mask)
    {
        long b = h.Size(0), t = h.Size(1);
        // transformers scales the queries before the product.
        var q = SplitHeads(_q.Forward(h) * Math.Pow(_headDim, -0.5), b, t); // (B·heads, T, d)
        var k = SplitHeads(_k.Forward(h), b, t);
        var v = SplitHeads(_v.Forward(h), b, t);
        var scores = q.Bmm(k.Transpose(1, 2));                                 // (B·heads, T, T)
        var probs = (mask is null ? scores : scores + mask).Softmax(-1);
        var o = probs.Bmm(v).View(b, _heads, t, _headDim).Transpose(1, 2).Reshape(b, t, _heads * _headDim);
        return _out.Forward(o);
    }

    private Tensor SplitHeads(Tensor x, long b, long t) =>
        x.View(b, t, _heads, _headDim).Transpose(1, 2).Reshape(b * _heads, t, _headDim);
}
