using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Metrics.ImageReward;

/// <summary>
/// BLIP's <c>med.py</c> BertModel in its multimodal mode (no pooler, no token-type embeddings):
/// word + absolute position embeddings, then post-norm BERT layers, each with self-attention over
/// the text (padding masked with −10000), cross-attention to the image tokens, and the feed-forward.
/// </summary>
public sealed class MedBertModel : Module
{
    private readonly MedBertConfig _config;
    private readonly Embedding _words, _positions;
    private readonly LayerNorm _embeddingNorm;
    private readonly ModuleList<MedBertLayer> _layers;

    public MedBertModel(MedBertConfig config)
    {
        _config = config;
        var embeddings = Child("embeddings", new Container());
        _words = embeddings.Add("word_embeddings", new Embedding(config.VocabSize, config.HiddenSize));
        _positions = embeddings.Add("position_embeddings", new Embedding(config.MaxPositionEmbeddings, config.HiddenSize));
        _embeddingNorm = embeddings.Add("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        _layers = Child("encoder", new Container()).Add("layer", new ModuleList<MedBertLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new MedBertLayer(config))));
    }

    /// <summary>Token ids and their 0/1 attention mask (B, L), image embeddings (B, N, encoder
    /// width) → the last hidden state (B, L, hidden). Every image token is attended to.</summary>
    public Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor imageEmbeds)
    {
        using var scope = new TensorScope();
        long length = inputIds.Size(1);
        if (length > _config.MaxPositionEmbeddings)
            throw new ArgumentException($"{length} tokens exceed max_position_embeddings {_config.MaxPositionEmbeddings}", nameof(inputIds));
        if (imageEmbeds.Size(-1) != _config.EncoderWidth)
            throw new ArgumentException($"image embeddings of width {imageEmbeds.Size(-1)}, the text encoder cross-attends to width {_config.EncoderWidth}", nameof(imageEmbeds));
        var positions = Tensor.Arange(length, device: inputIds.Device).Unsqueeze(0);
        var h = _embeddingNorm.Forward(_words.Forward(inputIds) + _positions.Forward(positions));
        // transformers' extended mask of that era: (1 − mask)·−10000 over the keys.
        var mask = (1.0 - attentionMask.To(h.DType).View(attentionMask.Size(0), 1, 1, length)) * -10000.0;
        foreach (var layer in _layers.Items) h = layer.Forward(h, mask, imageEmbeds);
        return h.MoveToOuterScope();
    }
}

/// <summary>BertLayer of med.py: self-attention, cross-attention, feed-forward; each adds its
/// input back and LayerNorms after (post-norm).</summary>
public sealed class MedBertLayer : Module
{
    private readonly MedBertAttention _self, _cross;
    private readonly Linear _intermediate, _output;
    private readonly LayerNorm _outputNorm;
    private readonly string _act;

    public MedBertLayer(MedBertConfig config)
    {
        _self = Child("attention", new MedBertAttention(config, config.HiddenSize));
        _cross = Child("crossattention", new MedBertAttention(config, config.EncoderWidth));
        _intermediate = Child("intermediate", new Container()).Add("dense", new Linear(config.HiddenSize, config.IntermediateSize));
        var output = Child("output", new Container());
        _output = output.Add("dense", new Linear(config.IntermediateSize, config.HiddenSize));
        _outputNorm = output.Add("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        _act = config.HiddenAct;
    }

    public Tensor Forward(Tensor h, Tensor mask, Tensor imageEmbeds)
    {
        h = _self.Forward(h, h, mask);
        h = _cross.Forward(h, imageEmbeds, null);
        var inner = _intermediate.Forward(h);
        inner = _act == "gelu" ? inner.Gelu() : inner.Gelu(tanhApproximation: true);
        return _outputNorm.Forward(_output.Forward(inner) + h);
    }
}

/// <summary>BertAttention (<c>self.{query,key,value}</c>, <c>output.{dense,LayerNorm}</c>): keys and
/// values from <paramref name="context"/> (the text itself, or the image tokens).</summary>
public sealed class MedBertAttention : Module
{
    private readonly Linear _query, _key, _value, _dense;
    private readonly LayerNorm _norm;
    private readonly long _heads, _headDim;

    public MedBertAttention(MedBertConfig config, long contextWidth)
    {
        _heads = config.NumAttentionHeads;
        _headDim = config.HiddenSize / config.NumAttentionHeads;
        var self = Child("self", new Container());
        _query = self.Add("query", new Linear(config.HiddenSize, config.HiddenSize));
        _key = self.Add("key", new Linear(contextWidth, config.HiddenSize));
        _value = self.Add("value", new Linear(contextWidth, config.HiddenSize));
        var output = Child("output", new Container());
        _dense = output.Add("dense", new Linear(config.HiddenSize, config.HiddenSize));
        _norm = output.Add("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
    }

    public Tensor Forward(Tensor h, Tensor context, Tensor? mask)
    {
        long b = h.Size(0);
        Tensor Split(Tensor x) => x.View(b, x.Size(1), _heads, _headDim).Transpose(1, 2);   // (B, heads, T, d)
        var scores = Split(_query.Forward(h)).Matmul(Split(_key.Forward(context)).Transpose(-1, -2)) / Math.Sqrt(_headDim);
        if (mask is not null) scores = scores + mask;
        var mixed = scores.Softmax(-1).Matmul(Split(_value.Forward(context))).Transpose(1, 2).Reshape(b, h.Size(1), _heads * _headDim);
        return _norm.Forward(_dense.Forward(mixed) + h);
    }
}
