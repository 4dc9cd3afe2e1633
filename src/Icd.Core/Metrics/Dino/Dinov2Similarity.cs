using Icd.Imaging;
using Icd.Torch;

namespace Icd.Metrics.Dino;

/// <summary>iCD's DINOv2 preservation metric: both images through DINOv2's processor
/// (BitImageProcessor: Pillow bicubic to short side 256, centre crop 224, ImageNet mean/std) and
/// <c>facebook/dinov2-base</c>; the cosine of the two <c>pooler_output</c>s.</summary>
public sealed class Dinov2Similarity(Dinov2Model model, HfImageProcessor processor) : IDisposable
{
    public static readonly HfImageProcessor DefaultProcessor = new()
    {
        ShortestEdge = 256, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f],
    };

    public static Dinov2Similarity Load(string folder)
    {
        string local = MetricWeights.Resolve(folder);
        var model = Dinov2Model.Load(local);
        string config = Path.Combine(local, "preprocessor_config.json");
        return new Dinov2Similarity(model, File.Exists(config) ? HfImageProcessor.Load(config) : DefaultProcessor);
    }

    /// <summary>Pooler outputs (N, 768), <paramref name="batchSize"/> images per pass.</summary>
    public Tensor Embed(IReadOnlyList<RgbImage> images, int batchSize = 8, IProgress<MetricProgress>? progress = null)
    {
        using var scope = new TensorScope();
        using var inference = Autograd.InferenceMode();
        var parts = new List<Tensor>();
        for (int start = 0; start < images.Count; start += batchSize)
        {
            var batch = images.Skip(start).Take(batchSize).ToList();
            parts.Add(model.Forward(processor.Preprocess(batch)).PoolerOutput);
            progress?.Report(new MetricProgress("dinov2", start + batch.Count, images.Count));
        }
        return Tensor.Cat(parts.ToArray(), 0).MoveToOuterScope();
    }

    public double Cosine(RgbImage a, RgbImage b)
    {
        using var scope = new TensorScope();
        var e = Embed([a, b]);
        return Functional.CosineSimilarity(e.Narrow(0, 0, 1), e.Narrow(0, 1, 1)).Item();
    }

    public void Dispose() => model.Dispose();
}
