using Icd.Imaging;

namespace Icd.Shapes;

/// <summary>The pixel regions and the robust colour measure the judges read a scene's ground truth
/// through (<see cref="EditJudge"/>, <see cref="GenerationJudge"/>).</summary>
internal static class JudgeRegions
{
    /// <summary>The pixels of <paramref name="cell"/> nearer (RGB) to <paramref name="colour"/> than to
    /// <paramref name="background"/>: an object of that colour, segmented where it should be.</summary>
    internal static PixelMask Segment(RgbImage image, GridPosition cell, Colour colour, Colour background)
    {
        int size = image.Width;
        var objectRgb = Palette.Rgb(colour);
        var backgroundRgb = Palette.Rgb(background);
        var segmented = new bool[size * size];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                if (!ObjectPlacement.InCell(cell, size, x, y)) continue;
                var pixel = image[x, y];
                segmented[y * size + x] = ColourMath.RgbDistanceSquared(pixel, objectRgb) < ColourMath.RgbDistanceSquared(pixel, backgroundRgb);
            }
        }
        return new PixelMask(size, size, segmented);
    }

    /// <summary>An object's solid pixels: more than half covered.</summary>
    internal static PixelMask Solid(ShapeObject obj, int size) => ShapesRenderer.Coverage(obj, size).Above(0.5f);

    /// <summary>Pixels with no object coverage anywhere in their 3×3 neighbourhood, so anti-aliasing
    /// (or a model's blur) at object edges does not enter the background's median.</summary>
    internal static PixelMask AwayFromObjects(Scene scene, int size)
    {
        var touched = new bool[size * size];
        foreach (var obj in scene.Objects)
        {
            var coverage = ShapesRenderer.Coverage(obj, size).Values;
            for (int i = 0; i < coverage.Length; i++) touched[i] |= coverage[i] > 0;
        }
        var away = new bool[size * size];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                bool clear = true;
                for (int dy = -1; dy <= 1 && clear; dy++)
                    for (int dx = -1; dx <= 1 && clear; dx++)
                    {
                        int nx = x + dx, ny = y + dy;
                        if (nx >= 0 && ny >= 0 && nx < size && ny < size && touched[ny * size + nx]) clear = false;
                    }
                away[y * size + x] = clear;
            }
        }
        return new PixelMask(size, size, away);
    }

    /// <summary>The per-channel median over <paramref name="region"/>, robust to edge pixels and grain.</summary>
    internal static (byte R, byte G, byte B) MedianColour(RgbImage image, PixelMask region)
    {
        var histograms = new int[3, 256];
        int count = 0;
        for (int p = 0; p < region.Values.Length; p++)
        {
            if (!region.Values[p]) continue;
            for (int c = 0; c < 3; c++) histograms[c, image.Pixels[p * 3 + c]]++;
            count++;
        }
        var median = new byte[3];
        for (int c = 0; c < 3; c++)
        {
            int seen = 0, v = 0;
            while (true)
            {
                seen += histograms[c, v];
                if (2 * seen >= count) break;
                v++;
            }
            median[c] = (byte)v;
        }
        return (median[0], median[1], median[2]);
    }
}
