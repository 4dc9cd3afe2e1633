using Icd.Imaging;

namespace Icd.Benchmarks;

/// <summary>A run's folder: <c>results.jsonl</c>, <c>images/&lt;column&gt;/&lt;id&gt;.png</c>, the report files.</summary>
public sealed class BenchmarkFolder
{
    public BenchmarkFolder(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        if (File.Exists(Path)) throw new IOException($"--out {path} is a file; give a folder for the run");
        Directory.CreateDirectory(Path);
        Log = new ResultLog(System.IO.Path.Combine(Path, "results.jsonl"));
    }

    public string Path { get; }

    public ResultLog Log { get; }

    public string ImagePath(string column, string id) => System.IO.Path.Combine(Path, "images", column, id + ".png");

    public void Save(string column, string id, RgbImage image)
    {
        string path = ImagePath(column, id);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        PngEncoder.Write(path, image);
    }

    /// <summary>Rows of images for the report's grid: for each id whose images exist in every column.</summary>
    public List<IReadOnlyList<RgbImage>> Grid(IEnumerable<string> ids, IReadOnlyList<string> columns, int count)
    {
        var rows = new List<IReadOnlyList<RgbImage>>();
        foreach (var id in ids)
        {
            if (rows.Count == count) break;
            var paths = columns.Select(c => ImagePath(c, id)).ToList();
            if (paths.All(File.Exists)) rows.Add(paths.Select(p => ImageFile.Read(p)).ToList());
        }
        return rows;
    }
}
