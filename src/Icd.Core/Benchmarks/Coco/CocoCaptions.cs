namespace Icd.Benchmarks.Coco;

/// <summary>One COCO image (or, for generation, only its caption).</summary>
public sealed record CocoItem(string Id, string FileName, string Caption);

/// <summary>iCD's COCO CSVs (<c>generation_coco.csv</c>: idx, file_name, caption) or any CSV with
/// <c>file_name</c> and <c>caption</c> columns, in file order, the first <c>count</c> rows.</summary>
public static class CocoCaptions
{
    public static IReadOnlyList<CocoItem> Load(string csv, int? count = null)
    {
        if (!File.Exists(csv)) throw new FileNotFoundException($"--captions {csv} not found", csv);
        var lines = File.ReadAllLines(csv).Where(l => l.Length > 0).ToList();
        if (lines.Count < 2) throw new InvalidDataException($"{csv}: no rows");
        var header = Icd.Training.Csv.Split(lines[0]);
        int file = header.IndexOf("file_name"), caption = header.IndexOf("caption");
        if (caption < 0) throw new InvalidDataException($"{csv}: no 'caption' column (iCD's COCO CSVs have file_name, caption)");
        var items = new List<CocoItem>();
        foreach (var (line, row) in lines.Skip(1).Select((l, i) => (l, i + 2)))
        {
            if (count is { } n && items.Count == n) break;
            var fields = Icd.Training.Csv.Split(line);
            if (fields.Count < header.Count) throw new InvalidDataException($"{csv}:{row}: {fields.Count} fields, the header has {header.Count}");
            string name = file >= 0 ? fields[file] : "";
            items.Add(new CocoItem(file >= 0 ? Path.GetFileNameWithoutExtension(name) : $"{row - 2:D6}", name, fields[caption]));
        }
        return items;
    }
}
