using System.Text.Json;
using Icd.Imaging;
using Icd.Torch;

namespace Icd.Metrics;

/// <summary>
/// CLIP's image preprocessing as transformers' CLIPImageProcessor runs it: Pillow bicubic resize of
/// the short side (the long side truncated to an integer), centre crop, ×1/255, mean/std
/// normalisation. Settings come from <c>preprocessor_config.json</c>; the defaults are OpenAI's.
/// </summary>
public sealed record HfImageProcessor
{
    public static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    public static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    public int ShortestEdge { get; init; } = 224;
    public int CropHeight { get; init; } = 224;
    public int CropWidth { get; init; } = 224;
    public bool DoResize { get; init; } = true;
    public bool DoCenterCrop { get; init; } = true;
    public bool DoNormalize { get; init; } = true;
    public PillowFilter Filter { get; init; } = PillowFilter.Bicubic;
    public float[] Mean { get; init; } = ClipMean;
    public float[] Std { get; init; } = ClipStd;

    /// <summary>Reads <c>preprocessor_config.json</c> (old flat sizes and the newer dict form).</summary>
    public static HfImageProcessor Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"preprocessor config not found: {path}", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            var p = new HfImageProcessor();
            if (root.TryGetProperty("size", out var size))
                p = p with { ShortestEdge = size.ValueKind == JsonValueKind.Number ? size.GetInt32() : size.GetProperty("shortest_edge").GetInt32() };
            if (root.TryGetProperty("crop_size", out var crop))
                p = crop.ValueKind == JsonValueKind.Number
                    ? p with { CropHeight = crop.GetInt32(), CropWidth = crop.GetInt32() }
                    : p with { CropHeight = crop.GetProperty("height").GetInt32(), CropWidth = crop.GetProperty("width").GetInt32() };
            if (root.TryGetProperty("do_resize", out var r)) p = p with { DoResize = r.GetBoolean() };
            if (root.TryGetProperty("do_center_crop", out var c)) p = p with { DoCenterCrop = c.GetBoolean() };
            if (root.TryGetProperty("do_normalize", out var n)) p = p with { DoNormalize = n.GetBoolean() };
            if (root.TryGetProperty("image_mean", out var mean)) p = p with { Mean = mean.EnumerateArray().Select(v => v.GetSingle()).ToArray() };
            if (root.TryGetProperty("image_std", out var std)) p = p with { Std = std.EnumerateArray().Select(v => v.GetSingle()).ToArray() };
            if (root.TryGetProperty("resample", out var resample))
                p = p with { Filter = resample.GetInt32() switch { 2 => PillowFilter.Bilinear, 3 => PillowFilter.Bicubic,
                    var f => throw new InvalidDataException($"resample={f} is not supported (2 bilinear, 3 bicubic)") } };
            if (p.Mean.Length != 3 || p.Std.Length != 3) throw new InvalidDataException("image_mean and image_std need three values");
            if (p.ShortestEdge <= 0 || p.CropHeight <= 0 || p.CropWidth <= 0) throw new InvalidDataException("sizes must be positive");
            return p;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException or FormatException)
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
    }

    /// <summary>Images → pixel values (B, 3, crop height, crop width), float32.</summary>
    public Tensor Preprocess(IReadOnlyList<RgbImage> images)
    {
        using var scope = new TensorScope();
        var rows = images.Select(PreprocessOne).ToArray();
        return Tensor.Cat(rows, 0).MoveToOuterScope();
    }

    private Tensor PreprocessOne(RgbImage image)
    {
        if (DoResize)
        {
            var (width, height) = ResizedSize(image.Width, image.Height, ShortestEdge);
            image = PillowResize.Resize(image, width, height, Filter);
        }
        var pixels = Pipelines.ImageTensors.Pixels(image).Squeeze(0);
        if (DoCenterCrop) pixels = CenterCrop(pixels, CropHeight, CropWidth);
        pixels = pixels * (1.0 / 255);
        if (DoNormalize)
        {
            using var mean = Tensor.FromValues(Mean, 3, 1, 1);
            using var std = Tensor.FromValues(Std, 3, 1, 1);
            pixels = (pixels - mean) / std;
        }
        return pixels.Unsqueeze(0);
    }

    /// <summary>transformers' get_resize_output_image_size with default_to_square=False.</summary>
    public static (int Width, int Height) ResizedSize(int width, int height, int shortestEdge)
    {
        bool wide = width >= height;
        int shortSide = wide ? height : width, longSide = wide ? width : height;
        int newLong = (int)((double)shortestEdge * longSide / shortSide);
        return wide ? (newLong, shortestEdge) : (shortestEdge, newLong);
    }

    /// <summary>transformers' center_crop: offsets (size − crop) // 2, zero padding where the image is smaller.</summary>
    public static Tensor CenterCrop(Tensor chw, int cropHeight, int cropWidth)
    {
        long h = chw.Size(1), w = chw.Size(2);
        if (h >= cropHeight && w >= cropWidth)
            return chw.Narrow(1, (h - cropHeight) / 2, cropHeight).Narrow(2, (w - cropWidth) / 2, cropWidth);
        long padH = Math.Max(cropHeight, h), padW = Math.Max(cropWidth, w);
        var padded = Tensor.Zeros([chw.Size(0), padH, padW], chw.DType);
        long top = (padH - h) / 2, left = (padW - w) / 2;
        padded.Narrow(1, top, h).Narrow(2, left, w).Copy_(chw);
        return padded.Narrow(1, (padH - cropHeight) / 2, cropHeight).Narrow(2, (padW - cropWidth) / 2, cropWidth);
    }
}
