using System.Text.Json;

namespace Icd.Benchmarks.PieBench;

/// <summary>
/// Reads an editing benchmark in either published layout: PIE-Bench's (<c>mapping_file.json</c> +
/// <c>annotation_images/</c>, RLE masks, editing types) or iCD's CSVs (<c>editing_pie_bench_140.csv</c>,
/// <c>editing_pie_bench_all.csv</c>, <c>editing_coco.csv</c>: file_name, old_caption,
/// edited_caption, blended_words) beside an image folder.
/// </summary>
public static class PieBenchData
{
    /// <param name="data">A PIE-Bench folder (with mapping_file.json), or an iCD CSV file.</param>
    /// <param name="subset">all, random140 (PIE's editing type 0, the iCD paper's 140), or a file of ids, one per line.</param>
    /// <param name="images">For a CSV: the image folder (default: the CSV's folder).</param>
    public static IReadOnlyList<PieBenchItem> Load(string data, string subset = "all", string? images = null)
    {
        List<PieBenchItem> items;
        if (File.Exists(data) && data.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            items = ReadCsv(data, images ?? Path.GetDirectoryName(Path.GetFullPath(data))!);
        else if (Directory.Exists(data))
        {
            string mapping = Path.Combine(data, "mapping_file.json");
            if (!File.Exists(mapping)) throw new FileNotFoundException($"--data {data}: no mapping_file.json (PIE-Bench's layout) in this folder; give the folder or one of iCD's CSVs", mapping);
            items = ReadMapping(mapping, images ?? Path.Combine(data, "annotation_images"));
        }
        else throw new FileNotFoundException($"--data {data}: neither a PIE-Bench folder nor a CSV file", data);
        return subset switch
        {
            "all" => items,
            "random140" => items.Where(i => i.EditingType is null or "0").ToList(),
            _ when File.Exists(subset) => Filter(items, subset),
            _ => throw new ArgumentException($"--subset '{subset}': expected all, random140 or a file of ids"),
        };
    }

    private static List<PieBenchItem> Filter(List<PieBenchItem> items, string idFile)
    {
        var ids = File.ReadAllLines(idFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal);
        var kept = items.Where(i => ids.Contains(i.Id)).ToList();
        var unknown = ids.Except(kept.Select(i => i.Id)).ToList();
        if (unknown.Count > 0) throw new InvalidDataException($"--subset {idFile}: {unknown.Count} ids are not in the data (first: {unknown[0]})");
        return kept;
    }

    private static string Strip(string prompt) => prompt.Replace("[", "", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal);

    private static List<PieBenchItem> ReadMapping(string path, string imageFolder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var items = new List<PieBenchItem>();
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            try
            {
                var e = entry.Value;
                string blended = e.TryGetProperty("blended_word", out var bw) ? bw.GetString() ?? "" : "";
                var words = blended.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var runs = e.TryGetProperty("mask", out var m) ? m.EnumerateArray().Select(v => v.GetInt64()).ToList() : null;
                items.Add(new PieBenchItem(entry.Name, Path.Combine(imageFolder, e.GetProperty("image_path").GetString()!),
                    Strip(e.GetProperty("original_prompt").GetString()!), Strip(e.GetProperty("editing_prompt").GetString()!),
                    e.TryGetProperty("editing_type_id", out var t) ? t.GetString() : null,
                    words.Length == 2 ? (words[0], words[1]) : null,
                    runs is null ? null : PieMask.Decode(runs)));
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}: entry '{entry.Name}' is not a PIE-Bench item ({ex.Message})");
            }
        }
        return items;
    }

    private static List<PieBenchItem> ReadCsv(string path, string imageFolder)
    {
        var rows = File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => Icd.Training.Csv.Split(l).ToArray()).ToList();
        if (rows.Count == 0) throw new InvalidDataException($"{path}: empty");
        var header = rows[0];
        int Column(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i
            : throw new InvalidDataException($"{path}: no '{name}' column (iCD's editing CSVs have file_name, old_caption, edited_caption, blended_words)");
        int file = Column("file_name"), old = Column("old_caption"), edited = Column("edited_caption");
        int blend = Array.IndexOf(header, "blended_words");
        var items = new List<PieBenchItem>();
        for (int r = 1; r < rows.Count; r++)
        {
            var row = rows[r];
            if (row.Length < header.Length) throw new InvalidDataException($"{path}:{r + 1}: {row.Length} fields, the header has {header.Length}");
            var words = blend < 0 ? [] : BlendWords(row[blend]);
            items.Add(new PieBenchItem(Path.GetFileNameWithoutExtension(row[file]), Path.Combine(imageFolder, row[file]),
                row[old], row[edited], null, words.Length == 2 ? (words[0], words[1]) : null, null));
        }
        return items;
    }

    /// <summary>"cat dog" (the PIE CSVs) or "('child', 'lion')" (the COCO CSV, a Python tuple).</summary>
    public static string[] BlendWords(string text) =>
        text.Trim().Trim('(', ')').Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('\'', '"')).Where(w => w.Length > 0).ToArray();
}
