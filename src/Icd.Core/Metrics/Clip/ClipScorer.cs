using Icd.Hub;
using Icd.Imaging;
using Icd.Text;
using Icd.Torch;

namespace Icd.Metrics.Clip;

/// <summary>
/// CLIP similarity as the papers' evaluations compute it: images through CLIP's processor and
/// vision tower, prompts through its tokenizer and text tower, both projected and L2-normalised.
/// iCD reports the cosine itself (image–text for editing, image–image for preservation);
/// PIE-Bench uses torchmetrics' CLIPScore, 100·max(cos, 0).
/// </summary>
public sealed class ClipScorer : IDisposable
{
    private readonly ClipModel _model;
    private readonly HfImageProcessor _processor;
    private readonly ClipTokenizer _tokenizer;

    public ClipScorer(ClipModel model, HfImageProcessor processor, ClipTokenizer tokenizer)
    {
        _model = model;
        _processor = processor;
        _tokenizer = tokenizer;
    }

    /// <summary>A CLIP folder as released (<c>openai/clip-vit-large-patch14</c>): the model, its
    /// <c>preprocessor_config.json</c> and the tokenizer's <c>vocab.json</c>/<c>merges.txt</c>.</summary>
    public static ClipScorer Load(string directory)
    {
        string folder = HubPaths.Resolve(directory, Environment.CurrentDirectory);
        var model = ClipModel.Load(folder);
        try
        {
            string preprocessor = Path.Combine(folder, "preprocessor_config.json");
            var processor = File.Exists(preprocessor) ? HfImageProcessor.Load(preprocessor) : new HfImageProcessor();
            return new ClipScorer(model, processor, ClipTokenizer.Load(folder));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public ClipModel Model => _model;

    /// <summary>Unit-norm image embeddings (N, projection_dim), <paramref name="batchSize"/> images per pass.</summary>
    public Tensor EmbedImages(IReadOnlyList<RgbImage> images, int batchSize = 8, IProgress<MetricProgress>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        using var scope = new TensorScope();
        using var inference = Autograd.InferenceMode();
        var parts = new List<Tensor>();
        for (int start = 0; start < images.Count; start += batchSize)
        {
            var batch = images.Skip(start).Take(batchSize).ToList();
            parts.Add(Normalise(_model.ImageFeatures(_processor.Preprocess(batch))));
            progress?.Report(new MetricProgress("clip-image", start + batch.Count, images.Count));
        }
        return Tensor.Cat(parts.ToArray(), 0).MoveToOuterScope();
    }

    /// <summary>Unit-norm text embeddings (N, projection_dim). As the processors' <c>padding=True,
    /// truncation=True</c>: padded to the longest prompt, which cannot change the end token's state
    /// under the causal mask; a prompt longer than the model's positions is cut with its end token kept.</summary>
    public Tensor EmbedTexts(IReadOnlyList<string> prompts)
    {
        using var scope = new TensorScope();
        using var inference = Autograd.InferenceMode();
        var rows = prompts.Select(p => _tokenizer.Tokenize(p).Ids).ToList();
        int positions = _model.Config.TextConfig.MaxPositionEmbeddings;
        int length = Math.Min(rows.Max(r => Array.IndexOf(r, (long)_tokenizer.EosId) is var e and >= 0 ? e + 1 : r.Length), positions);
        var ids = new long[rows.Count * length];
        for (int i = 0; i < rows.Count; i++)
        {
            Array.Copy(rows[i], 0, ids, i * length, length);
            int end = Array.IndexOf(rows[i], (long)_tokenizer.EosId);
            if (end < 0 || end >= length) ids[i * length + length - 1] = _tokenizer.EosId;
        }
        return Normalise(_model.TextFeatures(Tensor.FromValues(ids, rows.Count, length))).MoveToOuterScope();
    }

    /// <summary>Row-wise cosine of two sets of unit-norm embeddings.</summary>
    public static double[] Cosine(Tensor a, Tensor b)
    {
        using var scope = new TensorScope();
        return (a * b).Sum(1).To(DType.Float64).ToArray<double>();
    }

    /// <summary>torchmetrics' CLIPScore of one pair: 100·max(cos, 0).</summary>
    public static double TorchmetricsScore(double cosine) => 100 * Math.Max(cosine, 0);

    private static Tensor Normalise(Tensor x) => x / x.Norm(2, [-1], keepDim: true);

    public void Dispose() => _model.Dispose();
}
