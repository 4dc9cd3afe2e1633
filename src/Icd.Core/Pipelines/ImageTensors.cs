using Icd.Imaging;
using Icd.Torch;

namespace Icd.Pipelines;

public enum ResizeMode
{
    /// <summary>Centre-crop to a square, then resize (Inverse-and-Edit's load_512).</summary>
    CenterCrop,

    /// <summary>Resize to the target size regardless of aspect (iCD's load_512).</summary>
    Stretch,
}

/// <summary>Conversions between 8-bit images and the VAE's NCHW tensors in [−1, 1].</summary>
public static class ImageTensors
{
    /// <summary>(1, 3, size, size) in [−1, 1]: pixels/127.5 − 1 after cropping and an
    /// antialiased bicubic resize (as PIL's default resize does).</summary>
    public static Tensor ToTensor(RgbImage image, int height, int width, ResizeMode mode = ResizeMode.CenterCrop)
    {
        using var scope = new TensorScope();
        var pixels = Pixels(image);
        if (mode == ResizeMode.CenterCrop && image.Width != image.Height)
        {
            int side = Math.Min(image.Width, image.Height);
            pixels = pixels.Narrow(2, (image.Height - side) / 2, side).Narrow(3, (image.Width - side) / 2, side);
        }
        if (pixels.Size(2) != height || pixels.Size(3) != width)
            pixels = Functional.Interpolate(pixels, height, width, InterpolationMode.Bicubic, antialias: true).Clamp(0, 255);
        return (pixels / 127.5 - 1.0).MoveToOuterScope();
    }

    /// <summary>An 8-bit image as (1, 3, H, W) float32 values 0–255, the start of every conversion.</summary>
    public static Tensor Pixels(RgbImage image) =>
        Tensor.FromArray(image.Pixels, image.Height, image.Width, 3).Permute(2, 0, 1).Unsqueeze(0).To(DType.Float32);

    /// <summary>A decoded batch element → 8-bit image: (x/2 + 0.5).clamp(0, 1)·255, truncated to
    /// uint8 as the reference's <c>astype(np.uint8)</c> does.</summary>
    public static RgbImage ToImage(Tensor decoded, int index = 0)
    {
        using var scope = new TensorScope();
        var x = decoded.Select(0, index).Detach();
        var bytes = ((x / 2.0 + 0.5).Clamp(0, 1) * 255.0).To(DType.UInt8).Permute(1, 2, 0).Contiguous().ToArray<byte>();
        return new RgbImage((int)x.Size(2), (int)x.Size(1), bytes);
    }
}
