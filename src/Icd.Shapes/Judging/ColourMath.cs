namespace Icd.Shapes;

/// <summary>sRGB to CIELAB (D65), for judging colours the way people see them: RGB distance would call
/// a dark blue closer to black than to blue.</summary>
public static class ColourMath
{
    public static (double L, double A, double B) ToLab((byte R, byte G, byte B) rgb)
    {
        double r = Linear(rgb.R), g = Linear(rgb.G), b = Linear(rgb.B);
        // Linear sRGB to XYZ, normalised by the D65 white point.
        double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
        double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
        double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
        double fx = F(x), fy = F(y), fz = F(z);
        return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz));
    }

    public static double DistanceSquared((double L, double A, double B) p, (double L, double A, double B) q)
    {
        double dl = p.L - q.L, da = p.A - q.A, db = p.B - q.B;
        return dl * dl + da * da + db * db;
    }

    /// <summary>Squared RGB distance; the renderer blends in RGB, so segmentation compares in RGB.</summary>
    public static int RgbDistanceSquared((byte R, byte G, byte B) p, (byte R, byte G, byte B) q)
    {
        int dr = p.R - q.R, dg = p.G - q.G, db = p.B - q.B;
        return dr * dr + dg * dg + db * db;
    }

    private static double Linear(byte v)
    {
        double c = v / 255.0;
        return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
    }

    private static double F(double t) => t > 216.0 / 24389 ? Math.Cbrt(t) : (24389.0 / 27 * t + 16) / 116;
}
