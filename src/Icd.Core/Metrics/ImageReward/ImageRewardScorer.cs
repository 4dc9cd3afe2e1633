using Icd.Imaging;
using Icd.Metrics.Clip;
using Icd.Torch;

namespace Icd.Metrics.ImageReward;

/// <summary>
/// ImageReward scores of (image, prompt) pairs as its <c>score()</c> computes them: the image
/// through torchvision's Resize(224, bicubic on PIL) and CenterCrop(224) (offsets rounded half to
/// even, as Python's round), ToTensor and CLIP's mean/std; the prompt through <see cref="BlipTokenizer"/>.
/// </summary>
public sealed class ImageRewardScorer(ImageRewardModel model, BlipTokenizer tokenizer) : IDisposable
{
    /// <summary><paramref name="folder"/>: THUDM/ImageReward (or a folder with ImageReward.pt and
    /// med_config.json); <paramref name="vocabPath"/>: bert-base-uncased's vocab.txt.</summary>
    public static ImageRewardScorer Load(string folder, string vocabPath)
    {
        var tokenizer = BlipTokenizer.Load(vocabPath);
        return new ImageRewardScorer(ImageRewardModel.Load(folder), tokenizer);
    }

    public ImageRewardModel Model => model;

    /// <summary>One reward per pair, <paramref name="batchSize"/> pairs per pass.</summary>
    public double[] Score(IReadOnlyList<RgbImage> images, IReadOnlyList<string> prompts, int batchSize = 4, IProgress<MetricProgress>? progress = null)
    {
        if (images.Count != prompts.Count) throw new ArgumentException($"{images.Count} images but {prompts.Count} prompts", nameof(prompts));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var rewards = new List<double>();
        using var inference = Autograd.InferenceMode();
        for (int start = 0; start < images.Count; start += batchSize)
        {
            using var scope = new TensorScope();
            int count = Math.Min(batchSize, images.Count - start);
            var pixels = Preprocess(images.Skip(start).Take(count).ToList(), model.Vision.ImageSize);
            var (ids, mask) = tokenizer.Encode(prompts.Skip(start).Take(count).ToList());
            var reward = model.Reward(pixels, Tensor.FromValues(ids, count, BlipTokenizer.MaxLength), Tensor.FromValues(mask, count, BlipTokenizer.MaxLength));
            rewards.AddRange(reward.To(DType.Float64).ToArray<double>());
            progress?.Report(new MetricProgress("imagereward", start + count, images.Count));
        }
        return rewards.ToArray();
    }

    /// <summary>Images → (B, 3, size, size) pixel values as ImageReward's transform makes them.</summary>
    public static Tensor Preprocess(IReadOnlyList<RgbImage> images, int size = 224)
    {
        using var scope = new TensorScope();
        using var mean = Tensor.FromValues(HfImageProcessor.ClipMean, 3, 1, 1);
        using var std = Tensor.FromValues(HfImageProcessor.ClipStd, 3, 1, 1);
        var rows = images.Select(image =>
        {
            var cropped = TorchvisionTransforms.ResizeCenterCrop(image, size, PillowFilter.Bicubic);
            return (Pipelines.ImageTensors.Pixels(cropped) / 255.0 - mean) / std;
        }).ToArray();
        return Tensor.Cat(rows, 0).MoveToOuterScope();
    }

    public void Dispose() => model.Dispose();
}
