using System.Globalization;
using System.Text;
using System.Text.Json;
using Icd.Imaging;
using Icd.Metrics;

namespace Icd.Benchmarks;

/// <summary>
/// A benchmark's report from its result rows: <c>report.md</c> (one table per protocol, methods as
/// rows, each metric's mean with its 95 % interval, NFE and seconds per item; a table per group —
/// PIE-Bench's editing types), <c>results.json</c> (the same numbers), <c>grid.png</c> (source | each
/// method, for the first items) and <c>tradeoff.svg</c> (preservation against edit strength per method).
/// </summary>
public static class BenchmarkReport
{
    public sealed record Column(string Name, int Better, string Protocol);

    public static void Write(string folder, string title, IReadOnlyList<BenchmarkRow> rows, IReadOnlyList<Column> columns,
        IReadOnlyList<string> methods, IReadOnlyList<string> notes, (string X, string Y)? tradeoff,
        IReadOnlyList<IReadOnlyList<RgbImage>>? gridRows = null, (string Name, Dictionary<string, double?> PerMethod)? setMetric = null)
    {
        Directory.CreateDirectory(folder);
        var md = new StringBuilder();
        md.AppendLine($"# {title}").AppendLine();
        foreach (var note in notes) md.AppendLine($"- {note}");
        md.AppendLine();
        var summary = new Dictionary<string, object>();
        foreach (var protocol in columns.Select(c => c.Protocol).Distinct())
        {
            var cols = columns.Where(c => c.Protocol == protocol && rows.Any(r => Value(r, c.Name) is not null)).ToList();
            if (cols.Count == 0) continue;
            md.AppendLine($"## {protocol}").AppendLine();
            md.AppendLine("| method | items | " + string.Join(" | ", cols.Select(c => $"{c.Name} {(c.Better > 0 ? "↑" : "↓")}")) + " | NFE | s/item |");
            md.AppendLine("|---|---:|" + string.Concat(cols.Select(_ => "---:|")) + "---:|---:|");
            foreach (var method in methods)
            {
                var mine = rows.Where(r => r.Method == method).ToList();
                if (mine.Count == 0) continue;
                var cells = cols.Select(c => Cell(Estimate(mine, c.Name)));
                md.AppendLine($"| {method} | {mine.Count} | {string.Join(" | ", cells)} | {mine.Average(r => r.Nfe):F0} | {mine.Average(r => r.Seconds):F2} |");
            }
            md.AppendLine();
        }
        foreach (var method in methods)
        {
            var mine = rows.Where(r => r.Method == method).ToList();
            if (mine.Count == 0) continue;
            summary[method] = new
            {
                items = mine.Count, nfe = mine.Average(r => r.Nfe), seconds_per_item = mine.Average(r => r.Seconds),
                metrics = columns.Select(c => (c.Name, E: Estimate(mine, c.Name))).Where(p => p.E is not null)
                    .ToDictionary(p => p.Name, p => new { mean = Json(p.E!.Value.Mean), low = Json(p.E.Value.Low), high = Json(p.E.Value.High), n = p.E.Value.Count }),
            };
        }
        if (setMetric is { } set)
        {
            md.AppendLine($"## {set.Name} (over each method's whole set)").AppendLine();
            md.AppendLine($"| method | images | {set.Name} |").AppendLine("|---|---:|---:|");
            foreach (var method in methods)
                if (set.PerMethod.TryGetValue(method, out var v))
                    md.AppendLine($"| {method} | {rows.Count(r => r.Method == method)} | {(v is { } x ? F(x) : "—")} |");
            md.AppendLine();
            summary["set_metric"] = new { name = set.Name, values = set.PerMethod };
        }
        var groups = rows.Select(r => r.Group).Where(g => g is not null).Distinct().Order(StringComparer.Ordinal).ToList();
        var groupSummary = new Dictionary<string, object>();
        if (groups.Count > 0)
        {
            var main = columns.Where(c => rows.Any(r => Value(r, c.Name) is not null)).Take(6).ToList();
            md.AppendLine("## By editing type").AppendLine();
            md.AppendLine("| type | method | items | " + string.Join(" | ", main.Select(c => c.Name)) + " |");
            md.AppendLine("|---|---|---:|" + string.Concat(main.Select(_ => "---:|")));
            foreach (var g in groups)
                foreach (var method in methods)
                {
                    var mine = rows.Where(r => r.Group == g && r.Method == method).ToList();
                    if (mine.Count == 0) continue;
                    md.AppendLine($"| {PieBench.PieEditingTypes.Name(g)} | {method} | {mine.Count} | " +
                        string.Join(" | ", main.Select(c => Estimate(mine, c.Name) is { } e ? F(e.Mean) : "—")) + " |");
                    groupSummary[$"{g}/{method}"] = main.Select(c => (c.Name, E: Estimate(mine, c.Name)))
                        .Where(p => p.E is not null).ToDictionary(p => p.Name, p => Json(p.E!.Value.Mean));
                }
            md.AppendLine();
        }
        if (gridRows is { Count: > 0 })
        {
            PngEncoder.Write(Path.Combine(folder, "grid.png"), Shapes.ImageGrid.Compose(gridRows, scale: gridRows[0][0].Width >= 256 ? 1 : 2));
            md.AppendLine($"![source | {string.Join(" | ", methods)}](grid.png)").AppendLine();
        }
        if (tradeoff is { } axes)
        {
            var series = methods.ToDictionary(m => m, m =>
            {
                var mine = rows.Where(r => r.Method == m).ToList();
                return Estimate(mine, axes.X) is { } x && Estimate(mine, axes.Y) is { } y ? new List<(double, double)> { (x.Mean, y.Mean) } : new List<(double, double)>();
            });
            if (series.Values.Any(s => s.Count > 0))
            {
                SvgPlot.Write(Path.Combine(folder, "tradeoff.svg"), $"edit strength ({axes.Y}) against preservation ({axes.X})", axes.X, series);
                md.AppendLine("![trade-off](tradeoff.svg)").AppendLine();
            }
        }
        md.AppendLine("Means with 95 % Student-t intervals over items; NaN items (a mask that leaves nothing) are left out of their metric; — : the metric's network was not available.");
        AtomicFile.WriteAllText(Path.Combine(folder, "report.md"), md.ToString());
        AtomicFile.WriteAllText(Path.Combine(folder, "results.json"), JsonSerializer.Serialize(new { title, methods = summary, by_group = groupSummary, notes }, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static double? Value(BenchmarkRow r, string name) => r.Metrics.TryGetValue(name, out var v) ? v : null;

    public static Estimate? Estimate(IReadOnlyList<BenchmarkRow> rows, string name)
    {
        var values = rows.Select(r => Value(r, name)).Where(v => v is { } x && double.IsFinite(x)).Select(v => v!.Value).ToList();
        return values.Count == 0 ? null : Intervals.Mean(values);
    }

    private static string Cell(Estimate? e) => e is not { } v ? "—"
        : v.Count < 2 ? F(v.Mean) : $"{F(v.Mean)} ± {F((v.High - v.Low) / 2)}";

    private static string F(double x) => Math.Abs(x) >= 100 ? x.ToString("F1", CultureInfo.InvariantCulture)
        : Math.Abs(x) >= 0.1 || x == 0 ? x.ToString("F3", CultureInfo.InvariantCulture) : x.ToString("G3", CultureInfo.InvariantCulture);

    private static double? Json(double x) => double.IsFinite(x) ? x : null;
}
