using System.Globalization;
using System.Text;
using Icd.Imaging;
using Icd.Metrics;
using Icd.Metrics.Fid;
using Icd.Pipelines;
using Icd.Sampling;

namespace Icd.Benchmarks.Coco;

public sealed record CocoGenerationOptions
{
    public required string OutputFolder { get; init; }

    /// <summary>Classical guidance scales ω as the papers quote them (w = ω − 1 embedded).</summary>
    public double Guidance { get; init; } = 8;

    /// <summary>Dynamic-CFG τ per row (1: guidance at every step).</summary>
    public IReadOnlyList<double> Taus { get; init; } = [1, 0.8];

    /// <summary>Add the DDIM 50 teacher row (Table 4's baseline).</summary>
    public bool Ddim { get; init; }

    /// <summary>pytorch-fid statistics of the reference set (iCD: fid_stats_mscoco256_val.npz); null: no FID.</summary>
    public string? FidStatistics { get; init; }

    /// <summary>The FID preprocessing size (iCD: Lanczos resize of the short side to 256 and a centre crop).</summary>
    public int FidSize { get; init; } = 256;

    public ulong SeedBase { get; init; } = 0;
    public int GridItems { get; init; } = 8;
}

/// <summary>
/// <c>icd eval coco-generation</c>: iCD's generation table (Table 4: FID-5k against COCO val2014
/// statistics, CLIP score, ImageReward) for the reverse model at each τ and, optionally, the DDIM 50
/// teacher. Caption i is generated with seed base + i; FID is computed over each row's images once
/// all are made, with iCD's preprocessing (Pillow Lanczos to the short side, centre crop).
/// </summary>
public static class CocoGenerationRun
{
    public static readonly BenchmarkReport.Column[] Columns =
    [
        new("clip_score", +1, "iCD Table 4"), new("imagereward", +1, "iCD Table 4"),
    ];

    public static IReadOnlyList<BenchmarkRow> Run(IcdModel model, IReadOnlyList<CocoItem> items, MetricNetworks networks, CocoGenerationOptions options,
        IProgress<MetricProgress>? progress = null, CancellationToken ct = default)
    {
        var folder = new BenchmarkFolder(options.OutputFolder);
        double w = options.Guidance - 1;
        var settings = new List<(string Name, Func<string, ulong, GenerateResult> Generate)>();
        var icd = new IcdPipeline(model);
        foreach (double tau in options.Taus)
        {
            var schedule = new GuidanceSchedule.Dynamic(w, tau);
            string name = $"CD{model.Boundaries.Reverse.Count}, ω = {options.Guidance.ToString(CultureInfo.InvariantCulture)}" + (tau < 1 ? $" + dynamic CFG τ = {tau.ToString(CultureInfo.InvariantCulture)}" : "");
            settings.Add((name, (caption, seed) => icd.Generate(caption, new GenerateOptions { Seed = seed, Guidance = schedule }, null, ct)));
        }
        if (options.Ddim)
        {
            var ddim = new DdimPipeline(model, 50);
            settings.Add(($"DDIM50, ω = {options.Guidance.ToString(CultureInfo.InvariantCulture)}", (caption, seed) =>
                ddim.Generate(caption, new GenerateOptions { Seed = seed, Guidance = GuidanceSchedule.Constant(w) }, null, ct)));
        }
        int total = items.Count * settings.Count, done = 0;
        for (int s = 0; s < settings.Count; s++)
        {
            var (name, generate) = settings[s];
            for (int i = 0; i < items.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                var item = items[i];
                if (!folder.Log.Contains(item.Id, name))
                {
                    var result = generate(item.Caption, options.SeedBase + (ulong)i);
                    folder.Save($"g{s}", item.Id, result.Image);
                    var metrics = new Dictionary<string, double?>
                    {
                        ["clip_score"] = networks.Try("clip_score", "", () => PairMetrics.ClipTextCosine(networks.Clip, result.Image, item.Caption)).Value,
                        ["imagereward"] = networks.Try("imagereward", "", () => networks.ImageReward.Score([result.Image], [item.Caption])[0]).Value,
                    };
                    folder.Log.Append(new BenchmarkRow(item.Id, name, null, metrics, result.Nfe, result.Elapsed.TotalSeconds));
                }
                progress?.Report(new MetricProgress("coco-generation", ++done, total));
            }
        }
        var names = settings.Select(x => x.Name).ToList();
        var ids = items.Select(x => x.Id).ToHashSet(StringComparer.Ordinal);
        var rows = folder.Log.Rows.Where(r => ids.Contains(r.Item) && names.Contains(r.Method)).ToList();
        var fid = options.FidStatistics is null ? null : Fid(folder, items, settings.Count, names, networks, options, ct);
        var notes = new List<string>
        {
            $"model: {model.Source}; {items.Count} captions, caption i with seed {options.SeedBase} + i; ω is classical CFG (embedded w = ω − 1)",
            "CLIP score: iCD's cosine of CLIP ViT-L/14 image and caption embeddings; ImageReward-v1.0",
            options.FidStatistics is null ? "FID: not computed (no --fid-stats)" : $"FID: pytorch-fid's Inception, 2048-d, images Lanczos-resized to {options.FidSize} and centre-cropped (iCD's), against {options.FidStatistics}",
        };
        notes.AddRange(networks.Unavailable.Select(u => $"{u.Key} not computed in this session: {u.Value}"));
        var grid = folder.Grid(items.Select(x => x.Id), Enumerable.Range(0, settings.Count).Select(k => $"g{k}").ToList(), options.GridItems);
        BenchmarkReport.Write(folder.Path, "COCO generation (iCD Table 4)", rows, Columns, names, notes, null, grid,
            fid is null ? null : ("FID", fid.ToDictionary(f => f.Key, f => (double?)f.Value)));
        return rows;
    }

    private static Dictionary<string, double> Fid(BenchmarkFolder folder, IReadOnlyList<CocoItem> items, int settings, List<string> names,
        MetricNetworks networks, CocoGenerationOptions options, CancellationToken ct)
    {
        var reference = FidStatistics.Load(options.FidStatistics!);
        using var inception = FidInceptionV3.Load(networks.Weights.Inception);
        var fid = new Dictionary<string, double>();
        for (int s = 0; s < settings; s++)
        {
            using var scope = new Icd.Torch.TensorScope();
            var images = items.Select(i => TorchvisionTransforms.ResizeCenterCrop(ImageFile.Read(folder.ImagePath($"g{s}", i.Id)), options.FidSize, PillowFilter.Lanczos)).ToList();
            var features = FidFeatures.Extract(inception, images, ct: ct);
            fid[names[s]] = FrechetDistance.Compute(FidStatistics.FromFeatures(features), reference);
        }
        return fid;
    }
}
