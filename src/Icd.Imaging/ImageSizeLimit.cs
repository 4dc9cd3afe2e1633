namespace Icd.Imaging;

/// <summary>The size checks every decoder runs on the header, before it allocates pixel memory.</summary>
internal static class ImageSizeLimit
{
    public static void Check(string path, long width, long height, ImageReadOptions options)
    {
        long pixels = width * height;
        if (pixels > options.MaxPixels)
            throw new ImageFormatException(path,
                $"image is {width}×{height} ({pixels:N0} pixels), more than the limit of {options.MaxPixels:N0} pixels (ImageReadOptions.MaxPixels)");
        // RgbImage keeps its pixels in one array, so a generous MaxPixels still stops at the largest array .NET allows.
        if (pixels * 3 > Array.MaxLength)
            throw new ImageFormatException(path, $"image is {width}×{height}, too large to hold in one RGB buffer");
    }
}
