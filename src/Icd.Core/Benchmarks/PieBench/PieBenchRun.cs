using Icd.Imaging;
using Icd.Metrics;
using Icd.Pipelines;

namespace Icd.Benchmarks.PieBench;

public sealed record PieBenchOptions
{
    public required string OutputFolder { get; init; }
    public IReadOnlyList<string> Methods { get; init; } = ["p2p"];
    public int? Limit { get; init; }
    public ulong? Seed { get; init; }
    public int GridItems { get; init; } = 6;
    public string Title { get; init; } = "PIE-Bench editing";
}

/// <summary>
/// <c>icd eval pie-bench</c>: every item through every method, each edit saved
/// (<c>images/&lt;method&gt;/&lt;id&gt;.png</c>), scored with <see cref="PieBenchMetrics"/> and appended to
/// <c>results.jsonl</c> as it finishes; items already there are skipped, so a stopped run resumes.
/// The report is rewritten from all rows at the end.
/// </summary>
public static class PieBenchRun
{
    public static IReadOnlyList<BenchmarkRow> Run(IcdModel model, IReadOnlyList<PieBenchItem> items, MetricNetworks networks, PieBenchOptions options,
        IProgress<MetricProgress>? progress = null, CancellationToken ct = default)
    {
        var folder = new BenchmarkFolder(options.OutputFolder);
        var selected = options.Limit is { } limit ? items.Take(limit).ToList() : items;
        var log = folder.Log;
        int total = selected.Count * options.Methods.Count, done = 0;
        foreach (var item in selected)
        {
            ct.ThrowIfCancellationRequested();
            RgbImage? image = null;
            foreach (var method in options.Methods)
            {
                if (log.Contains(item.Id, method))
                {
                    progress?.Report(new MetricProgress(method, ++done, total));
                    continue;
                }
                image ??= ReadImage(item);
                var edit = EditingMethods.Edit(model, method, image, item.SourcePrompt, item.TargetPrompt, item.BlendedWords, options.Seed, null, ct);
                folder.Save("source", item.Id, edit.Source);
                folder.Save(method, item.Id, edit.Edited);
                var mask = item.Mask is null ? null : PieMask.Resize(item.Mask, PieMask.Size, edit.Source.Width);
                if (edit.Source.Width != edit.Source.Height) mask = null;   // PIE's masks are square
                var metrics = PieBenchMetrics.Compute(networks, edit.Source, edit.Edited, item.TargetPrompt, mask);
                log.Append(new BenchmarkRow(item.Id, method, item.EditingType, metrics, edit.Nfe, edit.Elapsed.TotalSeconds));
                progress?.Report(new MetricProgress(method, ++done, total));
            }
        }
        var ids = selected.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
        var rows = log.Rows.Where(r => ids.Contains(r.Item) && options.Methods.Contains(r.Method)).ToList();
        WriteReport(model, folder, selected, rows, options, networks.Unavailable);
        return rows;
    }

    private static RgbImage ReadImage(PieBenchItem item)
    {
        if (!File.Exists(item.ImagePath)) throw new FileNotFoundException($"item {item.Id}: image not found: {item.ImagePath}", item.ImagePath);
        return ImageFile.Read(item.ImagePath);
    }

    private static void WriteReport(IcdModel model, BenchmarkFolder folder, IReadOnlyList<PieBenchItem> items, IReadOnlyList<BenchmarkRow> rows, PieBenchOptions options,
        IReadOnlyDictionary<string, string> unavailable)
    {
        var grid = folder.Grid(items.Select(i => i.Id), ["source", .. options.Methods], options.GridItems);
        var columns = PieBenchMetrics.Columns.Select(c => new BenchmarkReport.Column(c.Name, c.Better, c.Protocol)).ToList();
        var notes = new List<string>
        {
            $"model: {model.Source}; {items.Count} items; methods: {string.Join(", ", options.Methods)}; seed {options.Seed ?? model.Defaults.Seed}",
            "PIE: PIE-Bench's evaluate.py — structure distance (DINO ViT-B/8), PSNR/LPIPS-Squeeze/MSE/SSIM with the edit region blacked out, CLIPScore whole and edit region (×100, clamped at 0)",
            "iCD: CLIP-T (edit vs target prompt), CLIP-I (source vs edit), DINOv2 (source vs edit), cosines of CLIP ViT-L/14 and DINOv2-base",
            "IaE: LPIPS-Alex (source vs edit), ImageReward (edit, target prompt)",
            "items whose blended words are missing from a prompt (PIE's additions and removals) are edited without LocalBlend",
        };
        notes.AddRange(unavailable.Select(u => $"{u.Key} not computed in this session: {u.Value}"));
        BenchmarkReport.Write(options.OutputFolder, options.Title, rows, columns, options.Methods, notes, ("dinov2", "clip_t"), grid);
    }
}
