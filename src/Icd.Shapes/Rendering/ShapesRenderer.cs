using Icd.Imaging;

namespace Icd.Shapes;

/// <summary>Rasterises scenes: the (textured) background, then each object blended in by its
/// coverage, measured with 4×4 supersampling and the exact inside tests of
/// <see cref="ShapeGeometry"/>. Blending uses integer arithmetic on the 16 sample counts, so renders
/// are bit-identical everywhere. Objects sit in distinct cells and never overlap.</summary>
public static class ShapesRenderer
{
    /// <summary>Samples per pixel side; coverage is a multiple of 1 / (Supersampling²).</summary>
    public const int Supersampling = 4;

    private const int SamplesPerPixel = Supersampling * Supersampling;

    public static RgbImage Render(Scene scene, int size)
    {
        ArgumentNullException.ThrowIfNull(scene);
        CheckSize(size);
        var pixels = new byte[size * size * 3];
        BackgroundTexture.Fill(pixels, size, scene.Background, scene.Texture);
        foreach (var obj in scene.Objects)
        {
            var p = ObjectPlacement.Of(obj, size);
            var (r, g, b) = Palette.Rgb(obj.Colour);
            for (int y = p.Y0; y < p.Y1; y++)
            {
                for (int x = p.X0; x < p.X1; x++)
                {
                    int k = SampleCount(obj.Shape, p, x, y);
                    if (k == 0) continue;
                    int i = (y * size + x) * 3;
                    pixels[i] = Blend(pixels[i], r, k);
                    pixels[i + 1] = Blend(pixels[i + 1], g, k);
                    pixels[i + 2] = Blend(pixels[i + 2], b, k);
                }
            }
        }
        return new RgbImage(size, size, pixels);
    }

    public static Rendering RenderWithCoverage(Scene scene, int size)
    {
        var image = Render(scene, size);
        return new Rendering(image, scene.Objects.Select(o => Coverage(o, size)).ToArray());
    }

    /// <summary>The coverage of one object at <paramref name="size"/>; it depends only on the object
    /// (shape, size, cell), not on the rest of the scene.</summary>
    public static CoverageMap Coverage(ShapeObject obj, int size)
    {
        ArgumentNullException.ThrowIfNull(obj);
        CheckSize(size);
        var values = new float[size * size];
        var p = ObjectPlacement.Of(obj, size);
        for (int y = p.Y0; y < p.Y1; y++)
            for (int x = p.X0; x < p.X1; x++)
                values[y * size + x] = SampleCount(obj.Shape, p, x, y) / (float)SamplesPerPixel;
        return new CoverageMap(size, size, values);
    }

    /// <summary>How many of pixel (x, y)'s 16 sample points (cell centres of a 4×4 sub-grid) fall
    /// inside the shape.</summary>
    private static int SampleCount(Shape shape, in ObjectPlacement p, int x, int y)
    {
        int count = 0;
        double scale = 1.0 / p.HalfExtent;
        for (int sy = 0; sy < Supersampling; sy++)
        {
            // Unit-box coordinates: b points up, so it is negated image y.
            double b = (p.CenterY - (y + (sy + 0.5) / Supersampling)) * scale;
            for (int sx = 0; sx < Supersampling; sx++)
            {
                double a = (x + (sx + 0.5) / Supersampling - p.CenterX) * scale;
                if (ShapeGeometry.Contains(shape, a, b)) count++;
            }
        }
        return count;
    }

    /// <summary>(under·(16 - k) + over·k) / 16, rounded.</summary>
    private static byte Blend(byte under, byte over, int k) => (byte)((under * (SamplesPerPixel - k) + over * k + SamplesPerPixel / 2) / SamplesPerPixel);

    private static void CheckSize(int size)
    {
        if (size < 1 || size > 4096) throw new ArgumentOutOfRangeException(nameof(size), $"image size must be in [1, 4096], got {size}");
    }
}
