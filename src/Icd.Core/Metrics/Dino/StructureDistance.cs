using Icd.Imaging;
using Icd.Pipelines;
using Icd.Torch;

namespace Icd.Metrics.Dino;

/// <summary>
/// PIE-Bench's structure distance (from "Splicing ViT Features"): the token × token cosine
/// self-similarity of the last DINO ViT-B/8 block's attention keys, for the source and the edited
/// image, compared by mean squared error. PIE feeds the images as 0–255 values, resizes the short
/// side to 224 (long side at most 480, bilinear, no antialiasing) and applies ImageNet's mean/std
/// to those 0–255 values; the distance is reproduced with that preprocessing as it is.
/// </summary>
public sealed class StructureDistance : IDisposable
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];
    private readonly VitModel _dino;
    private readonly bool _owns;

    public StructureDistance(VitModel dino, bool ownsModel = true)
    {
        _dino = dino;
        _owns = ownsModel;
    }

    public const int ShortSide = 224, MaxSize = 480;

    /// <summary>(source, edit) → MSE of the key self-similarity maps.</summary>
    public double Distance(RgbImage source, RgbImage edited)
    {
        using var scope = new TensorScope();
        using var inference = Autograd.InferenceMode();
        var a = SelfSimilarity(Preprocess(ImageTensors.Pixels(source)));
        var b = SelfSimilarity(Preprocess(ImageTensors.Pixels(edited)));
        return (a - b).Square().Mean().Item();
    }

    /// <summary>Images as (1, 3, H, W) 0–255 values → PIE's network input.</summary>
    public static Tensor Preprocess(Tensor image255)
    {
        long h = image255.Size(2), w = image255.Size(3);
        var (newH, newW) = ResizedSize(h, w);
        var x = newH == h && newW == w ? image255 : Functional.Interpolate(image255, newH, newW, InterpolationMode.Bilinear);
        using var mean = Tensor.FromValues(ImageNetMean, 1, 3, 1, 1);
        using var std = Tensor.FromValues(ImageNetStd, 1, 3, 1, 1);
        return (x - mean) / std;
    }

    /// <summary>torchvision's Resize(224, max_size=480) output size: short side 224, the long side
    /// truncated; if that exceeds 480, the long side becomes 480 and the short one shrinks.</summary>
    public static (long Height, long Width) ResizedSize(long height, long width)
    {
        bool tall = height > width;
        long shortSide = tall ? width : height, longSide = tall ? height : width;
        long newShort = ShortSide, newLong = (long)((double)ShortSide * longSide / shortSide);
        if (newLong > MaxSize)
        {
            newShort = (long)((double)MaxSize * newShort / newLong);
            newLong = MaxSize;
        }
        return tall ? (newLong, newShort) : (newShort, newLong);
    }

    /// <summary>Pixel values (1, 3, H, W) → the (T, T) cosine self-similarity of the last block's
    /// keys (class token included), PIE's attn_cosine_sim with its 1e-8 floor on the norm product.</summary>
    public Tensor SelfSimilarity(Tensor pixelValues)
    {
        using var scope = new TensorScope();
        var keys = _dino.Keys(pixelValues).Select(0, 0);                      // (T, D)
        var norms = keys.Norm(2, [1], keepDim: true);                             // (T, 1)
        var factor = norms.Matmul(norms.Transpose(0, 1)).Clamp(1e-8, double.PositiveInfinity);
        return (keys.Matmul(keys.Transpose(0, 1)) / factor).MoveToOuterScope();
    }

    public void Dispose()
    {
        if (_owns) _dino.Dispose();
    }
}
