using Icd.Imaging;
using Icd.Metrics;
using Icd.Pipelines;
using Icd.Sampling;

namespace Icd.Benchmarks.Coco;

public sealed record CocoInversionOptions
{
    public required string OutputFolder { get; init; }
    public int GridItems { get; init; } = 6;

    /// <summary>Other manifests whose forward/reverse pair to add as rows (e.g. Inverse-and-Edit's cycle model).</summary>
    public IReadOnlyList<string> Compare { get; init; } = [];
}

/// <summary>
/// <c>icd eval coco-inversion</c>: iCD's Table 2 and Inverse-and-Edit's reconstruction table. Each
/// image (stretched to the model's size, as iCD's load_512) is inverted with its caption and decoded
/// by DDIM50 | DDIM50 and by each manifest's fCD | CD pair, each unguided, with constant guidance w
/// and with w + dynamic CFG (τ = 0.7, the table's); scored with iCD's LPIPS (piq, 224²), DINOv2 and
/// PSNR, and Inverse-and-Edit's MSE, LPIPS-Alex/VGG and ImageReward of the reconstruction and caption.
/// </summary>
public static class CocoInversionRun
{
    public static readonly BenchmarkReport.Column[] Columns =
    [
        new("lpips_icd", -1, "iCD Table 2"), new("dinov2", +1, "iCD Table 2"), new("psnr", +1, "iCD Table 2"),
        new("mse", -1, "Inverse-and-Edit reconstruction"), new("lpips_alex", -1, "Inverse-and-Edit reconstruction"),
        new("lpips_vgg", -1, "Inverse-and-Edit reconstruction"), new("imagereward", +1, "Inverse-and-Edit reconstruction"),
    ];

    private sealed record Configuration(string Name, Func<RgbImage, string, ReconstructResult> Run);

    public static IReadOnlyList<BenchmarkRow> Run(IcdModel model, string imageFolder, IReadOnlyList<CocoItem> items, MetricNetworks networks,
        CocoInversionOptions options, IProgress<MetricProgress>? progress = null, CancellationToken ct = default)
    {
        var folder = new BenchmarkFolder(options.OutputFolder);
        var others = options.Compare.Select(path => IcdModel.Load(path, model)).ToList();
        try
        {
            var configurations = Configurations(model, others);
            int total = items.Count * configurations.Count, done = 0;
            foreach (var item in items)
            {
                RgbImage? image = null;
                for (int c = 0; c < configurations.Count; c++)
                {
                    ct.ThrowIfCancellationRequested();
                    var config = configurations[c];
                    if (!folder.Log.Contains(item.Id, config.Name))
                    {
                        image ??= Read(imageFolder, item);
                        var r = config.Run(image, item.Caption);
                        folder.Save("source", item.Id, r.Input);
                        folder.Save($"c{c}", item.Id, r.Reconstruction);
                        var metrics = new Dictionary<string, double?>
                        {
                            ["psnr"] = r.Psnr, ["mse"] = r.Mse,
                            ["lpips_icd"] = networks.Try("lpips_icd", "", () => PairMetrics.IcdLpipsDistance(networks.Lpips("vgg"), r.Input, r.Reconstruction)).Value,
                            ["dinov2"] = networks.Try("dinov2", "", () => networks.Dinov2.Cosine(r.Input, r.Reconstruction)).Value,
                            ["lpips_alex"] = networks.Try("lpips_alex", "", () => PairMetrics.LpipsDistance(networks.Lpips("alex"), r.Input, r.Reconstruction)).Value,
                            ["lpips_vgg"] = networks.Try("lpips_vgg", "", () => PairMetrics.LpipsDistance(networks.Lpips("vgg"), r.Input, r.Reconstruction)).Value,
                            ["imagereward"] = networks.Try("imagereward", "", () => networks.ImageReward.Score([r.Reconstruction], [item.Caption])[0]).Value,
                        };
                        folder.Log.Append(new BenchmarkRow(item.Id, config.Name, null, metrics, r.Nfe, r.Elapsed.TotalSeconds));
                    }
                    progress?.Report(new MetricProgress("coco-inversion", ++done, total));
                }
            }
            var names = configurations.Select(c => c.Name).ToList();
            var ids = items.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
            var rows = folder.Log.Rows.Where(r => ids.Contains(r.Item) && names.Contains(r.Method)).ToList();
            var notes = new List<string>
            {
                $"model: {model.Source}; {items.Count} images stretched to {model.ImageSize}² (iCD's load_512); caption-conditioned inversion, unguided encoding",
                "rows: DDIM50 | DDIM50 and each manifest's fCD | CD; unguided, w (embedded, classical w + 1) constant, and w + dynamic CFG τ = 0.7",
                "iCD Table 2: LPIPS = piq's LPIPS-VGG at 224² in [0, 1], DINOv2-base cosine, PSNR on uint8; Inverse-and-Edit: MSE on [0, 1], LPIPS (lpips package) alex and vgg, ImageReward of the reconstruction and caption",
                $"grid columns: source | {string.Join(" | ", names)}",
            };
            notes.AddRange(networks.Unavailable.Select(u => $"{u.Key} not computed in this session: {u.Value}"));
            var grid = folder.Grid(items.Select(i => i.Id), ["source", .. Enumerable.Range(0, configurations.Count).Select(c => $"c{c}")], options.GridItems);
            BenchmarkReport.Write(folder.Path, "COCO inversion (iCD Table 2, Inverse-and-Edit reconstruction)", rows, Columns, names, notes, ("lpips_icd", "psnr"), grid);
            return rows;
        }
        finally
        {
            foreach (var o in others) o.Dispose();
        }
    }

    private static List<Configuration> Configurations(IcdModel model, IReadOnlyList<IcdModel> others)
    {
        double w = model.Defaults.Guidance;
        var guidance = new (string Suffix, GuidanceSchedule? Schedule)[]
        {
            (" (unguided)", null), ($", w = {w}", GuidanceSchedule.Constant(w)), ($", w = {w} + dynamic CFG τ = 0.7", new GuidanceSchedule.Dynamic(w, 0.7)),
        };
        var inversion = new InversionOptions { Resize = ResizeMode.Stretch };
        var list = new List<Configuration>();
        var ddim = new DdimPipeline(model, 50);
        foreach (var (suffix, schedule) in guidance)
            list.Add(new("DDIM50 | DDIM50" + suffix, (img, c) => ddim.Reconstruct(img, c, inversion, schedule)));
        foreach (var m in new[] { model }.Concat(others))
        {
            var icd = new IcdPipeline(m);
            string pair = $"fCD{m.Boundaries.Forward.Count} | CD{m.Boundaries.Reverse.Count}" + (m == model ? "" : $" ({Path.GetFileName(m.Source)})");
            foreach (var (suffix, schedule) in guidance)
                list.Add(new(pair + suffix, (img, c) => icd.Reconstruct(img, c, inversion, schedule)));
        }
        return list;
    }

    internal static RgbImage Read(string folder, CocoItem item)
    {
        string path = Path.Combine(folder, item.FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"image {item.FileName} (from the captions CSV) not found in {folder}", path);
        return ImageFile.Read(path);
    }
}
