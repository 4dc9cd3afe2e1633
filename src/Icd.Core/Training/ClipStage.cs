using Icd.Metrics;
using Icd.Pipelines;
using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Optim;

namespace Icd.Training;

/// <summary>
/// Contrastive text–image pre-training (CLIP) at toy scale: the CLIP text model (pooled at the
/// end-of-text token, projected) and <see cref="ImageEncoder"/> learn matching embeddings with the
/// symmetric cross-entropy over cosine similarities scaled by a learned temperature. The text
/// model becomes the diffusion model's frozen text encoder; the pair gives the Shapes-CLIP score.
/// </summary>
public sealed class ClipStage : ITrainingStage
{
    private readonly ClipTextModel _text;
    private readonly ImageEncoder _image;
    private readonly Linear _textProjection;
    private readonly Tensor _logitScale;
    private readonly ClipTokenizer _tokenizer;
    private readonly IImageCaptionSource _source;
    private readonly RunOptions _options;
    private readonly InfiniteSampler _sampler;
    private readonly AdamW _optimizer;
    private readonly int _size;

    public ClipStage(ClipTextModel text, ImageEncoder image, Linear textProjection, ClipTokenizer tokenizer, IImageCaptionSource source, int imageSize, RunOptions options)
    {
        _text = text;
        _image = image;
        _textProjection = textProjection;
        _tokenizer = tokenizer;
        _source = source;
        _options = options.Validate();
        _size = imageSize;
        _sampler = new InfiniteSampler(source.Count, options.Seed);
        _logitScale = Tensor.FromValues(new[] { (float)Math.Log(1 / 0.07) }).DetachFromScope().RequiresGrad_();
        foreach (var m in new Module[] { text, image, textProjection }) { m.SetRequiresGrad(true); m.Train(); }
        var parameters = text.Parameters().Concat(image.Parameters()).Concat(textProjection.Parameters()).Append(_logitScale);
        _optimizer = new AdamW(parameters, new AdamWOptions(options.LearningRate, WeightDecay: options.WeightDecay));
    }

    public string Name => "clip";

    public IReadOnlyDictionary<string, double> Step(long step)
    {
        using var scope = new TensorScope();
        int b = _options.BatchSize;
        var items = Enumerable.Range(0, b).Select(_ => _source.Get(_sampler.Next())).ToList();
        var images = Tensor.Cat(items.Select(i => ImageTensors.ToTensor(i.Image, _size, _size)).ToArray(), 0);
        var ids = Tensor.FromValues(items.SelectMany(i => _tokenizer.Tokenize(i.Caption).Ids).ToArray(), b, ClipTokenizer.MaxLength);
        var (imageEmb, textEmb) = Embeddings(images, ids);
        var logits = imageEmb.Matmul(textEmb.T()) * _logitScale.Clamp(0, Math.Log(100)).Exp();   // (B, B)
        var labels = Tensor.Arange(b);
        var loss = (CrossEntropy(logits, labels) + CrossEntropy(logits.T(), labels)) * 0.5;
        Autograd.Backward([loss]);
        StageState.ClipAndStep(_optimizer, _options.GradClip);
        using var noGrad = Autograd.NoGrad();
        double accuracy = logits.Argmax(1).Eq(labels).To(DType.Float32).Mean().Item();
        return new Dictionary<string, double> { ["loss"] = loss.Item(), ["accuracy"] = accuracy, ["temperature"] = 1 / Math.Exp(_logitScale.Item()) };
    }

    /// <summary>Unit-normalised image and text embeddings.</summary>
    internal (Tensor Image, Tensor Text) Embeddings(Tensor images, Tensor ids)
    {
        var image = _image.Embed(images);
        var hidden = _text.Forward(ids);
        var text = _textProjection.Forward(_text.Pool(hidden, ids));
        return (image / image.Norm(2, [1], keepDim: true), text / text.Norm(2, [1], keepDim: true));
    }

    private static Tensor CrossEntropy(Tensor logits, Tensor labels) =>
        -logits.LogSoftmax(1).Gather(1, labels.Unsqueeze(1)).Mean();

    public IReadOnlyList<AdamW> Optimizers => [_optimizer];

    public void SaveState(IDictionary<string, Tensor> into)
    {
        StageState.Save(into, "text/", _text);
        StageState.Save(into, "image/", _image);
        StageState.Save(into, "projection/", _textProjection);
        into["logit_scale"] = _logitScale.Detach().DetachFromScope();
        StageState.Save(into, "optim/", _optimizer);
        into["data/position"] = Tensor.FromValues(new[] { _sampler.Position }).DetachFromScope();
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> from)
    {
        StageState.Load(from, "text/", _text);
        StageState.Load(from, "image/", _image);
        StageState.Load(from, "projection/", _textProjection);
        using (Autograd.NoGrad()) _logitScale.Copy_(from["logit_scale"]);
        StageState.Load(from, "optim/", _optimizer);
        _sampler.Position = (long)from["data/position"].Item();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _logitScale.Dispose();
    }
}
