using Icd.Imaging;

namespace Icd.Metrics;

/// <summary>torchvision's <c>Resize(size)</c> + <c>CenterCrop(size)</c> on PIL images, as ImageReward's
/// and iCD's FID preprocessing run them: the short side to <c>size</c> (the long side truncated)
/// through Pillow's resampler, then a centred crop whose offsets are rounded half to even
/// (Python's round), as torchvision's center_crop computes them.</summary>
public static class TorchvisionTransforms
{
    public static RgbImage ResizeCenterCrop(RgbImage image, int size, PillowFilter filter)
    {
        var (w, h) = HfImageProcessor.ResizedSize(image.Width, image.Height, size);
        var resized = w == image.Width && h == image.Height ? image : PillowResize.Resize(image, w, h, filter);
        int top = (int)Math.Round((h - size) / 2.0), left = (int)Math.Round((w - size) / 2.0);
        if (top == 0 && left == 0 && w == size && h == size) return resized;
        var pixels = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
            Array.Copy(resized.Pixels, ((y + top) * w + left) * 3, pixels, y * size * 3, size * 3);
        return new RgbImage(size, size, pixels);
    }
}
