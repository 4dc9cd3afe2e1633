using Icd.Imaging;
using Icd.Torch;

namespace Icd.Metrics.Fid;

/// <summary>
/// FID features of image files as pytorch-fid's <c>get_activations</c> makes them: each file read as
/// RGB, to [0, 1] at its own size, batched (consecutive images of one size share a pass), through
/// <see cref="FidInceptionV3"/> at the chosen <c>--dims</c>.
/// </summary>
public static class FidFeatures
{
    /// <summary>pytorch-fid's IMAGE_EXTENSIONS, of which icd decodes PNG and JPEG.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>The image files of a folder (not its sub-folders), in ordinal order.</summary>
    public static IReadOnlyList<string> FilesIn(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"image folder not found: {folder}");
        var files = Directory.EnumerateFiles(folder).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count < 2) throw new InvalidDataException($"{folder}: FID needs at least 2 images (PNG or JPEG), found {files.Count}");
        return files;
    }

    /// <summary>Features (N, dims), float32, of image files.</summary>
    public static Tensor Extract(FidInceptionV3 inception, IReadOnlyList<string> files, int dims = FidInceptionV3.Dims, int batchSize = 50,
        IProgress<MetricProgress>? progress = null, CancellationToken ct = default) =>
        Extract(inception, files.Select(f => ImageFile.Read(f)), files.Count, dims, batchSize, progress, ct);

    /// <summary>Features (N, dims), float32, of images in memory.</summary>
    public static Tensor Extract(FidInceptionV3 inception, IReadOnlyList<RgbImage> images, int dims = FidInceptionV3.Dims, int batchSize = 50,
        IProgress<MetricProgress>? progress = null, CancellationToken ct = default) =>
        Extract(inception, images, images.Count, dims, batchSize, progress, ct);

    private static Tensor Extract(FidInceptionV3 inception, IEnumerable<RgbImage> source, int count, int dims, int batchSize,
        IProgress<MetricProgress>? progress, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        using var scope = new TensorScope();
        using var inference = Autograd.InferenceMode();
        var parts = new List<Tensor>();
        var batch = new List<RgbImage>();
        int done = 0;
        void Flush()
        {
            if (batch.Count == 0) return;
            using var inner = new TensorScope();
            var images = Tensor.Cat(batch.Select(ToUnit).ToArray(), 0);
            parts.Add(inception.Features(images, dims).MoveToOuterScope());
            done += batch.Count;
            batch.Clear();
            progress?.Report(new MetricProgress($"fid-{dims}", done, count));
        }
        foreach (var image in source)
        {
            ct.ThrowIfCancellationRequested();
            if (batch.Count == batchSize || (batch.Count > 0 && (batch[0].Width != image.Width || batch[0].Height != image.Height))) Flush();
            batch.Add(image);
        }
        Flush();
        return Tensor.Cat(parts.ToArray(), 0).MoveToOuterScope();
    }

    private static Tensor ToUnit(RgbImage image) => Pipelines.ImageTensors.Pixels(image) / 255.0;
}
