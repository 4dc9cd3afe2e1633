namespace Icd.Shapes;

/// <summary>Where an object lands in an image: centred in its grid cell, its unit box scaled to a
/// fraction of the cell (small 45 %, large 85 %), so a size edit roughly quadruples the area and even
/// a small object spans about 10 px at 64×64. Pixel (x, y) covers [x, x+1) × [y, y+1).</summary>
public readonly record struct ObjectPlacement(double CenterX, double CenterY, double HalfExtent, int X0, int Y0, int X1, int Y1)
{
    public const double SmallFraction = 0.45;
    public const double LargeFraction = 0.85;

    public static ObjectPlacement Of(ShapeObject obj, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var (cx0, cy0, cx1, cy1) = Cell(obj.Position, imageSize);
        double fraction = obj.Size switch
        {
            ObjectSize.Small => SmallFraction,
            ObjectSize.Large => LargeFraction,
            _ => throw new ArgumentOutOfRangeException(nameof(obj), $"{(int)obj.Size} is not an object size"),
        };
        double half = fraction * (cx1 - cx0) / 2;
        double cx = (cx0 + cx1) / 2, cy = (cy0 + cy1) / 2;
        // The pixel bounding box of the unit box; pixels outside it have zero coverage.
        int x0 = Math.Max(0, (int)Math.Floor(cx - half)), y0 = Math.Max(0, (int)Math.Floor(cy - half));
        int x1 = Math.Min(imageSize, (int)Math.Ceiling(cx + half)), y1 = Math.Min(imageSize, (int)Math.Ceiling(cy + half));
        return new ObjectPlacement(cx, cy, half, x0, y0, x1, y1);
    }

    /// <summary>The cell of <paramref name="position"/> in continuous pixel coordinates: the image is
    /// split into thirds, which need not fall on pixel boundaries.</summary>
    public static (double X0, double Y0, double X1, double Y1) Cell(GridPosition position, int imageSize)
    {
        if (imageSize <= 0) throw new ArgumentOutOfRangeException(nameof(imageSize), $"image size must be positive, got {imageSize}");
        double third = imageSize / 3.0;
        int col = position.Column(), row = position.Row();
        return (col * third, row * third, (col + 1) * third, (row + 1) * third);
    }

    /// <summary>Whether pixel (x, y)'s centre lies in <paramref name="position"/>'s cell.</summary>
    public static bool InCell(GridPosition position, int imageSize, int x, int y)
    {
        var (x0, y0, x1, y1) = Cell(position, imageSize);
        double px = x + 0.5, py = y + 0.5;
        return px >= x0 && px < x1 && py >= y0 && py < y1;
    }
}
