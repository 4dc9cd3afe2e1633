namespace Icd.Shapes;

/// <summary>A per-pixel yes/no, Height rows × Width (change masks, segmentations).</summary>
public sealed record PixelMask(int Width, int Height, bool[] Values)
{
    public static PixelMask Empty(int width, int height) => new(width, height, new bool[checked(width * height)]);

    public bool this[int x, int y] => Values[y * Width + x];

    /// <summary>How many pixels are set.</summary>
    public int Count => Values.Count(v => v);

    public PixelMask Union(PixelMask other) => Combine(other, static (p, q) => p || q);

    public PixelMask Intersect(PixelMask other) => Combine(other, static (p, q) => p && q);

    public PixelMask Invert() => new(Width, Height, Values.Select(v => !v).ToArray());

    /// <summary>Intersection over union; two empty masks count as identical (1).</summary>
    public double IoU(PixelMask other)
    {
        CheckSameSize(other);
        int intersection = 0, union = 0;
        for (int i = 0; i < Values.Length; i++)
        {
            if (Values[i] && other.Values[i]) intersection++;
            if (Values[i] || other.Values[i]) union++;
        }
        return union == 0 ? 1.0 : (double)intersection / union;
    }

    private PixelMask Combine(PixelMask other, Func<bool, bool, bool> op)
    {
        CheckSameSize(other);
        var values = new bool[Values.Length];
        for (int i = 0; i < values.Length; i++) values[i] = op(Values[i], other.Values[i]);
        return new PixelMask(Width, Height, values);
    }

    private void CheckSameSize(PixelMask other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Width != Width || other.Height != Height)
            throw new ArgumentException($"mask sizes differ: {Width}×{Height} vs {other.Width}×{other.Height}", nameof(other));
    }
}
