using System.Text.Json;
using System.Text.Json.Serialization;

namespace Icd.Benchmarks;

/// <summary>One benchmark item through one method: its metrics (null: the network is unavailable;
/// NaN: undefined for this item), network evaluations and seconds.</summary>
public sealed record BenchmarkRow(
    [property: JsonPropertyName("item")] string Item,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("group")] string? Group,
    [property: JsonPropertyName("metrics")] Dictionary<string, double?> Metrics,
    [property: JsonPropertyName("nfe")] int Nfe,
    [property: JsonPropertyName("seconds")] double Seconds);

/// <summary>
/// The per-item results of a run, one JSON line each, appended and flushed as each item finishes,
/// so an interrupted run resumes where it stopped. A torn last line (the process killed mid-write)
/// is dropped and its item redone; any other unreadable line is an error naming the file and line.
/// </summary>
public sealed class ResultLog
{
    private static readonly JsonSerializerOptions Options = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private readonly string _path;
    private readonly List<BenchmarkRow> _rows = new();
    private readonly HashSet<(string Item, string Method)> _done = new();   // a 5,000-image run asks 45,000 times

    public ResultLog(string path)
    {
        _path = path;
        if (!File.Exists(path)) return;
        var lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            try
            {
                Add(JsonSerializer.Deserialize<BenchmarkRow>(lines[i], Options) ?? throw new JsonException("null row"));
            }
            catch (JsonException) when (i == lines.Length - 1)
            {
                Icd.Imaging.AtomicFile.WriteAllLines(path, lines.Take(i));   // a torn last line: its item is redone
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{i + 1}: not a result line ({e.Message}); move the file away to start over");
            }
        }
    }

    public IReadOnlyList<BenchmarkRow> Rows => _rows;

    public bool Contains(string item, string method) => _done.Contains((item, method));

    public void Append(BenchmarkRow row)
    {
        using (var stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read))
        using (var writer = new StreamWriter(stream))
        {
            writer.WriteLine(JsonSerializer.Serialize(row, Options));
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        Add(row);
    }

    private void Add(BenchmarkRow row)
    {
        _rows.Add(row);
        _done.Add((row.Item, row.Method));
    }
}
