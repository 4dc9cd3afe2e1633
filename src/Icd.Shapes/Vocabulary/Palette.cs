namespace Icd.Shapes;

/// <summary>The fixed sRGB value of every <see cref="Colour"/>. The values were tuned so that the
/// closest pair (blue/purple) is still about 37 apart in CIELAB ΔE76 and every pair is at least 80
/// apart in RGB, which keeps "nearest palette colour" robust to anti-aliasing, the background texture
/// and a model's colour drift.</summary>
public static class Palette
{
    private static readonly (byte R, byte G, byte B)[] Values =
    [
        (220, 30, 30),   // red
        (245, 140, 20),  // orange
        (245, 220, 30),  // yellow
        (40, 170, 60),   // green
        (30, 200, 220),  // cyan
        (30, 70, 220),   // blue
        (150, 40, 170),  // purple
        (245, 130, 190), // pink
        (245, 245, 245), // white
        (20, 20, 20),    // black
        (128, 128, 128), // gray
        (130, 80, 40),   // brown
    ];

    private static readonly (double L, double A, double B)[] LabValues = Values.Select(ColourMath.ToLab).ToArray();

    public static Colour[] All { get; } = Enum.GetValues<Colour>();

    /// <summary>Colours a background may have: calm ones that leave at least eight object colours.</summary>
    public static Colour[] Backgrounds { get; } =
        [Colour.White, Colour.Gray, Colour.Black, Colour.Blue, Colour.Green, Colour.Yellow, Colour.Brown];

    public static (byte R, byte G, byte B) Rgb(Colour colour) =>
        Enum.IsDefined(colour) ? Values[(int)colour] : throw new ArgumentOutOfRangeException(nameof(colour), $"{(int)colour} is not a palette colour");

    /// <summary>The palette colour nearest to <paramref name="rgb"/> in CIELAB (ΔE76), the judge's
    /// notion of "what colour is this".</summary>
    public static Colour Nearest((byte R, byte G, byte B) rgb)
    {
        var lab = ColourMath.ToLab(rgb);
        int best = 0;
        double bestDistance = double.MaxValue;
        for (int i = 0; i < LabValues.Length; i++)
        {
            double d = ColourMath.DistanceSquared(lab, LabValues[i]);
            if (d < bestDistance)
            {
                bestDistance = d;
                best = i;
            }
        }
        return (Colour)best;
    }
}
