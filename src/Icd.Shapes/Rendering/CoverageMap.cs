namespace Icd.Shapes;

/// <summary>The fraction of each pixel an object covers, in [0, 1], Height rows × Width; with 4×4
/// supersampling the values are multiples of 1/16.</summary>
public sealed record CoverageMap(int Width, int Height, float[] Values)
{
    public float this[int x, int y] => Values[y * Width + x];

    /// <summary>Pixels covered more than <paramref name="threshold"/>: 0.5 gives the object's "solid"
    /// pixels, 0 every pixel it touches.</summary>
    public PixelMask Above(float threshold)
    {
        var mask = new bool[Values.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = Values[i] > threshold;
        return new PixelMask(Width, Height, mask);
    }
}
