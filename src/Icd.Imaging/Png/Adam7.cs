namespace Icd.Imaging.Png;

/// <summary>One reduced image of a PNG: the pixels at (XStart + i·XStep, YStart + j·YStep).</summary>
internal readonly record struct PngPass(int XStart, int YStart, int XStep, int YStep, int Width, int Height)
{
    /// <summary>Passes of a small image can be empty; they then contribute no scanlines at all.</summary>
    public bool IsEmpty => Width == 0 || Height == 0;
}

/// <summary>The pass layout of a PNG: the whole image, or the seven Adam7 passes.</summary>
internal static class Adam7
{
    // Starting column, starting row, column step, row step of each pass, from the PNG specification.
    private static readonly (int X, int Y, int Dx, int Dy)[] Grid =
    [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ];

    public static PngPass[] Passes(PngHeader header)
    {
        if (!header.Interlaced)
            return [new PngPass(0, 0, 1, 1, header.Width, header.Height)];
        return Array.ConvertAll(Grid, g => new PngPass(
            g.X, g.Y, g.Dx, g.Dy, Count(header.Width, g.X, g.Dx), Count(header.Height, g.Y, g.Dy)));
    }

    private static int Count(int size, int start, int step) => size > start ? (size - start + step - 1) / step : 0;
}
