using Icd.Imaging;

namespace Icd.Training;

/// <summary>(image, caption) pairs by index.</summary>
public interface IImageCaptionSource
{
    long Count { get; }

    (RgbImage Image, string Caption) Get(long index);

    /// <summary>Just the caption: sources that can answer without loading the image override it
    /// (cached latents need the caption, not the pixels).</summary>
    string Caption(long index) => Get(index).Caption;
}

/// <summary>
/// A folder of images with a CSV of (file_name, caption), the MS-COCO layout of iCD's training
/// code: first column file name, second caption, header row skipped. Quoted fields with commas
/// are handled.
/// </summary>
public sealed class FolderDataset : IImageCaptionSource
{
    private readonly string _folder;
    private readonly List<(string File, string Caption)> _rows = new();

    public FolderDataset(string folder, string csvPath)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"image folder not found: {folder}");
        if (!File.Exists(csvPath)) throw new FileNotFoundException($"caption CSV not found: {csvPath}", csvPath);
        _folder = folder;
        int line = 0;
        foreach (var text in File.ReadLines(csvPath))
        {
            line++;
            if (line == 1 || text.Length == 0) continue;
            var fields = Csv.Split(text);
            if (fields.Count < 2) throw new InvalidDataException($"{csvPath}:{line}: expected file_name,caption");
            _rows.Add((fields[0], fields[1]));
        }
        if (_rows.Count == 0) throw new InvalidDataException($"{csvPath}: no rows");
    }

    public long Count => _rows.Count;

    public (RgbImage Image, string Caption) Get(long index)
    {
        var (file, caption) = _rows[(int)(index % _rows.Count)];
        return (ImageFile.Read(Path.Combine(_folder, file)), caption);
    }

    public string Caption(long index) => _rows[(int)(index % _rows.Count)].Caption;
}

/// <summary>Minimal RFC 4180 field splitting.</summary>
public static class Csv
{
    public static List<string> Split(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else current.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        fields.Add(current.ToString());
        return fields;
    }

    public static string Quote(string field) =>
        field.Contains(',') || field.Contains('"') || field.Contains('\n') ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}

/// <summary>
/// An endless, seeded order over a source (iCD's InfiniteSampler): each epoch is a fresh
/// permutation derived from (seed, epoch), so position k of the stream is the same in a resumed
/// run as in an uninterrupted one. The only state is the position.
/// </summary>
public sealed class InfiniteSampler(long count, ulong seed)
{
    private long[]? _order;
    private long _orderEpoch = -1;

    public long Position { get; set; }

    public long Next()
    {
        long epoch = Position / count, offset = Position % count;
        if (_orderEpoch != epoch)
        {
            _order = Permutation(count, seed, (ulong)epoch);
            _orderEpoch = epoch;
        }
        Position++;
        return _order![offset];
    }

    /// <summary>Fisher–Yates with SplitMix64 (portable: no dependence on System.Random's algorithm).</summary>
    internal static long[] Permutation(long n, ulong seed, ulong epoch)
    {
        var order = new long[n];
        for (long i = 0; i < n; i++) order[i] = i;
        ulong state = seed ^ (0x9E3779B97F4A7C15UL * (epoch + 1));
        for (long i = n - 1; i > 0; i--)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            long j = (long)(z % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
