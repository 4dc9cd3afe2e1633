namespace Icd.Benchmarks.PieBench;

/// <summary>
/// PIE-Bench's edit masks: run-length pairs (start, length) over the 512×512 image in row-major
/// order, with the image border forced to 1 "to avoid annotation errors" (its evaluate.py
/// mask_decode), so the border always counts as edited.
/// </summary>
public static class PieMask
{
    public const int Size = 512;

    public static bool[] Decode(IReadOnlyList<long> runs, int height = Size, int width = Size)
    {
        if (runs.Count % 2 != 0) throw new InvalidDataException($"a PIE-Bench mask is (start, length) pairs; got {runs.Count} numbers");
        long length = (long)height * width;
        var mask = new bool[length];
        for (int i = 0; i < runs.Count; i += 2)
        {
            long start = runs[i], count = Math.Min(runs[i + 1], length - start);
            if (start < 0 || runs[i + 1] < 0) throw new InvalidDataException($"a PIE-Bench mask run ({start}, {runs[i + 1]}) is negative");
            for (long j = 0; j < count; j++) mask[start + j] = true;
        }
        for (int x = 0; x < width; x++) mask[x] = mask[(long)(height - 1) * width + x] = true;
        for (int y = 0; y < height; y++) mask[(long)y * width] = mask[(long)y * width + width - 1] = true;
        return mask;
    }

    /// <summary>The inverse of <see cref="Decode"/> before the border rule (for making PIE-format data).</summary>
    public static long[] Encode(bool[] mask)
    {
        var runs = new List<long>();
        for (long i = 0; i < mask.Length;)
        {
            if (!mask[i]) { i++; continue; }
            long start = i;
            while (i < mask.Length && mask[i]) i++;
            runs.Add(start);
            runs.Add(i - start);
        }
        return runs.ToArray();
    }

    /// <summary>Nearest-neighbour resampling of a square mask to another size (the model's image size).</summary>
    public static bool[] Resize(bool[] mask, int from, int to)
    {
        if (from == to) return mask;
        var result = new bool[to * to];
        for (int y = 0; y < to; y++)
            for (int x = 0; x < to; x++)
                result[y * to + x] = mask[(int)((long)y * from / to) * from + (int)((long)x * from / to)];
        return result;
    }
}
