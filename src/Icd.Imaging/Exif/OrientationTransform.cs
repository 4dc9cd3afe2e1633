namespace Icd.Imaging.Exif;

/// <summary>
/// Turns pixels stored in EXIF orientation 1–8 upright. Orientation n says where the stored row 0 and
/// column 0 belong; each case below maps an upright (output) position back to the stored position it comes from.
/// </summary>
internal static class OrientationTransform
{
    public static RgbImage Apply(RgbImage stored, int orientation)
    {
        if (orientation is < 2 or > 8)
            return stored;
        int w = stored.Width, h = stored.Height;
        // Orientations 5 to 8 swap the axes.
        bool transposed = orientation >= 5;
        int outWidth = transposed ? h : w, outHeight = transposed ? w : h;
        var output = new byte[stored.Pixels.Length];
        var source = stored.Pixels;
        for (int y = 0; y < outHeight; y++)
        {
            for (int x = 0; x < outWidth; x++)
            {
                (int sx, int sy) = orientation switch
                {
                    2 => (w - 1 - x, y),          // mirrored left to right
                    3 => (w - 1 - x, h - 1 - y),  // rotated 180°
                    4 => (x, h - 1 - y),          // mirrored top to bottom
                    5 => (y, x),                  // transposed (mirror across the main diagonal)
                    6 => (y, h - 1 - x),          // stored rotated 90° counter-clockwise: turn clockwise
                    7 => (w - 1 - y, h - 1 - x),  // transversed (mirror across the anti-diagonal)
                    _ => (w - 1 - y, x),          // 8: stored rotated 90° clockwise: turn counter-clockwise
                };
                int from = (sy * w + sx) * 3, to = (y * outWidth + x) * 3;
                output[to] = source[from];
                output[to + 1] = source[from + 1];
                output[to + 2] = source[from + 2];
            }
        }
        return new RgbImage(outWidth, outHeight, output);
    }
}
