namespace Icd.Imaging.Png;

/// <summary>
/// The five PNG scanline filters (method 0), in both directions. <c>previous</c> is always the unfiltered row
/// above in the same pass; for a pass's first row callers pass zeros, which is exactly how the spec defines it.
/// <c>stride</c> is the distance to the "left" byte: bytes per pixel, at least 1.
/// </summary>
internal static class PngFilters
{
    public const byte None = 0, Sub = 1, Up = 2, Average = 3, Paeth = 4;

    /// <summary>Undoes <paramref name="filter"/> in place; false for a filter type the spec does not define.</summary>
    public static bool TryUnfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> previous, int stride)
    {
        switch (filter)
        {
            case None:
                break;
            case Sub:
                for (int i = stride; i < row.Length; i++)
                    row[i] += row[i - stride];
                break;
            case Up:
                for (int i = 0; i < row.Length; i++)
                    row[i] += previous[i];
                break;
            case Average:
                for (int i = 0; i < stride; i++)
                    row[i] += (byte)(previous[i] >> 1);
                for (int i = stride; i < row.Length; i++)
                    row[i] += (byte)((row[i - stride] + previous[i]) >> 1);
                break;
            case Paeth:
                for (int i = 0; i < stride; i++)
                    row[i] += previous[i]; // with left and upper-left zero the predictor is "up"
                for (int i = stride; i < row.Length; i++)
                    row[i] += PaethPredictor(row[i - stride], previous[i], previous[i - stride]);
                break;
            default:
                return false;
        }
        return true;
    }

    /// <summary>Writes <paramref name="row"/> filtered with <paramref name="filter"/> into <paramref name="output"/>.</summary>
    public static void Apply(byte filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> previous, int stride, Span<byte> output)
    {
        // One loop per filter rather than a switch per byte: the encoder runs all five on every row.
        int head = Math.Min(stride, row.Length);
        switch (filter)
        {
            case Sub:
                row[..head].CopyTo(output);
                for (int i = stride; i < row.Length; i++)
                    output[i] = (byte)(row[i] - row[i - stride]);
                break;
            case Up:
                for (int i = 0; i < row.Length; i++)
                    output[i] = (byte)(row[i] - previous[i]);
                break;
            case Average:
                for (int i = 0; i < head; i++)
                    output[i] = (byte)(row[i] - (previous[i] >> 1));
                for (int i = stride; i < row.Length; i++)
                    output[i] = (byte)(row[i] - ((row[i - stride] + previous[i]) >> 1));
                break;
            case Paeth:
                for (int i = 0; i < head; i++)
                    output[i] = (byte)(row[i] - previous[i]);
                for (int i = stride; i < row.Length; i++)
                    output[i] = (byte)(row[i] - PaethPredictor(row[i - stride], previous[i], previous[i - stride]));
                break;
            default:
                row.CopyTo(output);
                break;
        }
    }

    /// <summary>
    /// Libpng's heuristic: the filter whose output, read as signed bytes, has the smallest sum of magnitudes
    /// tends to compress best. <paramref name="scratch"/> holds one filtered row; the winner is left in <paramref name="best"/>.
    /// </summary>
    public static byte ChooseAndApply(ReadOnlySpan<byte> row, ReadOnlySpan<byte> previous, int stride, Span<byte> scratch, Span<byte> best)
    {
        byte bestFilter = None;
        long bestScore = long.MaxValue;
        for (byte filter = None; filter <= Paeth; filter++)
        {
            Apply(filter, row, previous, stride, scratch);
            long score = 0;
            foreach (sbyte b in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(scratch))
                score += Math.Abs((int)b);
            if (score < bestScore)
            {
                bestScore = score;
                bestFilter = filter;
                scratch.CopyTo(best);
            }
        }
        return bestFilter;
    }

    /// <summary>The predictor of the spec: whichever of left, up, upper-left is closest to left + up − upper-left.</summary>
    private static byte PaethPredictor(int left, int up, int upLeft)
    {
        int estimate = left + up - upLeft;
        int distanceLeft = Math.Abs(estimate - left);
        int distanceUp = Math.Abs(estimate - up);
        int distanceUpLeft = Math.Abs(estimate - upLeft);
        if (distanceLeft <= distanceUp && distanceLeft <= distanceUpLeft)
            return (byte)left;
        return distanceUp <= distanceUpLeft ? (byte)up : (byte)upLeft;
    }
}
