namespace Icd.Imaging;

/// <summary>Resampling filters of Pillow's <c>Image.resize</c>.</summary>
public enum PillowFilter
{
    Bilinear,
    Bicubic,
    Lanczos,
}

/// <summary>
/// Pillow's 8-bit resize, bit for bit: a separable convolution whose support widens with the
/// downscale factor (antialiasing), horizontal pass first, coefficients in 22-bit fixed point and
/// an 8-bit intermediate image. The metric networks' preprocessing (CLIP's, ImageReward's) runs
/// through PIL, and a float resize differs from it by up to a grey level per pixel.
/// </summary>
public static class PillowResize
{
    private const int PrecisionBits = 32 - 8 - 2;

    public static RgbImage Resize(RgbImage image, int width, int height, PillowFilter filter = PillowFilter.Bicubic)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"target size {width}×{height} must be positive");
        if (width == image.Width && height == image.Height) return new RgbImage(width, height, (byte[])image.Pixels.Clone());
        var horizontal = Coefficients(image.Width, width, filter);
        var vertical = Coefficients(image.Height, height, filter);
        // Only the source rows the vertical pass reads go through the horizontal pass (as Pillow does).
        int firstRow = vertical.Bounds[0], lastRow = vertical.Bounds[2 * (height - 1)] + vertical.Bounds[2 * (height - 1) + 1];
        var rows = image;
        if (width != image.Width)
            rows = Horizontal(image, firstRow, lastRow - firstRow, horizontal, width);
        else if (firstRow != 0 || lastRow != image.Height)
            rows = Crop(image, firstRow, lastRow - firstRow);
        return height != image.Height ? Vertical(rows, vertical, height, firstRow) : rows;
    }

    private sealed record Kernel(int Size, int[] Bounds, int[] Weights);

    private static double Filter(PillowFilter filter, double x)
    {
        // Pillow's Lanczos-3 is defined on [−3, 3): the bounds are not symmetric.
        if (filter == PillowFilter.Lanczos) return x >= -3.0 && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0;
        x = Math.Abs(x);
        if (filter == PillowFilter.Bilinear) return x < 1 ? 1 - x : 0;
        const double a = -0.5;
        if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
        return 0;
    }

    private static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    /// <summary>Per output pixel: the first source pixel, the count, and fixed-point weights.</summary>
    private static Kernel Coefficients(int inSize, int outSize, PillowFilter filter)
    {
        double support = filter switch { PillowFilter.Bilinear => 1, PillowFilter.Bicubic => 2, _ => 3 };
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        support *= filterScale;
        int size = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var weights = new int[outSize * size];
        var k = new double[size];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);      // C's truncating cast
            int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            double total = 0;
            for (int x = 0; x < xmax; x++)
            {
                k[x] = Filter(filter, (x + xmin - center + 0.5) * ss);
                total += k[x];
            }
            for (int x = 0; x < xmax; x++)
            {
                double w = total != 0 ? k[x] / total : k[x];
                weights[xx * size + x] = (int)(w < 0 ? -0.5 + w * (1 << PrecisionBits) : 0.5 + w * (1 << PrecisionBits));
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return new Kernel(size, bounds, weights);
    }

    private static byte Clip8(int value) =>
        value >= (1 << PrecisionBits << 8) ? (byte)255 : value <= 0 ? (byte)0 : (byte)(value >> PrecisionBits);

    private static RgbImage Horizontal(RgbImage source, int firstRow, int rowCount, Kernel kernel, int width)
    {
        var src = source.Pixels;
        var dst = new byte[checked(width * rowCount * 3)];
        for (int y = 0; y < rowCount; y++)
        {
            int srcRow = (y + firstRow) * source.Width * 3, dstRow = y * width * 3;
            for (int xx = 0; xx < width; xx++)
            {
                int xmin = kernel.Bounds[2 * xx], count = kernel.Bounds[2 * xx + 1], w0 = xx * kernel.Size;
                int r = 1 << (PrecisionBits - 1), g = r, b = r;
                for (int x = 0; x < count; x++)
                {
                    int w = kernel.Weights[w0 + x], i = srcRow + (x + xmin) * 3;
                    r += src[i] * w;
                    g += src[i + 1] * w;
                    b += src[i + 2] * w;
                }
                int o = dstRow + xx * 3;
                dst[o] = Clip8(r);
                dst[o + 1] = Clip8(g);
                dst[o + 2] = Clip8(b);
            }
        }
        return new RgbImage(width, rowCount, dst);
    }

    private static RgbImage Vertical(RgbImage source, Kernel kernel, int height, int rowOffset)
    {
        var src = source.Pixels;
        int width = source.Width;
        var dst = new byte[checked(width * height * 3)];
        for (int yy = 0; yy < height; yy++)
        {
            int ymin = kernel.Bounds[2 * yy] - rowOffset, count = kernel.Bounds[2 * yy + 1], w0 = yy * kernel.Size;
            for (int xx = 0; xx < width; xx++)
            {
                int r = 1 << (PrecisionBits - 1), g = r, b = r;
                for (int y = 0; y < count; y++)
                {
                    int w = kernel.Weights[w0 + y], i = ((y + ymin) * width + xx) * 3;
                    r += src[i] * w;
                    g += src[i + 1] * w;
                    b += src[i + 2] * w;
                }
                int o = (yy * width + xx) * 3;
                dst[o] = Clip8(r);
                dst[o + 1] = Clip8(g);
                dst[o + 2] = Clip8(b);
            }
        }
        return new RgbImage(width, height, dst);
    }

    private static RgbImage Crop(RgbImage image, int firstRow, int rowCount)
    {
        var pixels = new byte[checked(image.Width * rowCount * 3)];
        Array.Copy(image.Pixels, firstRow * image.Width * 3, pixels, 0, pixels.Length);
        return new RgbImage(image.Width, rowCount, pixels);
    }
}
