using System.CommandLine;
using Icd.Benchmarks.Coco;
using Icd.Benchmarks.PieBench;
using Icd.Metrics;

namespace Icd.Cli.Commands;

/// <summary><c>icd eval …</c>: the papers' benchmarks with resumable runs and paper-layout reports.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var eval = new Command("eval", "The papers' benchmarks: results per item (resumable), report.md, results.json, grid.png, tradeoff.svg");
        eval.Subcommands.Add(PieBench());
        eval.Subcommands.Add(CocoInversion());
        eval.Subcommands.Add(CocoGeneration());
        eval.Subcommands.Add(ShapesPieBenchData());
        return eval;
    }

    private static Command PieBench()
    {
        var model = ModelOptions.Model();
        var data = new Option<string>("--data") { Description = "PIE-Bench folder (mapping_file.json + annotation_images/) or one of iCD's editing CSVs", Required = true };
        var images = new Option<string?>("--images") { Description = "image folder (default: annotation_images/ beside mapping_file.json, or the CSV's folder)" };
        var subset = new Option<string>("--subset") { Description = "all, random140 (PIE's editing type 0) or a file of item ids", DefaultValueFactory = _ => "all" };
        var methods = new Option<string>("--methods") { Description = $"comma-separated: {string.Join(", ", Icd.Benchmarks.EditingMethods.Names)}", DefaultValueFactory = _ => "p2p" };
        var output = new Option<string>("--out") { Description = "run folder (results.jsonl, images/, report.md); an existing run there is resumed", DefaultValueFactory = _ => "runs/pie-bench" };
        var limit = new Option<int?>("--limit") { Description = "only the first N items (a quick look)" };
        var weights = new MetricOptions();
        var seed = ModelOptions.Seed();
        var dtype = ModelOptions.DType();
        var command = new Command("pie-bench", "Edit every PIE-Bench item with each method and score it with PIE-Bench's, iCD's and Inverse-and-Edit's metrics");
        foreach (var o in new Option[] { model, data, images, subset, methods, output, limit, seed, dtype }) command.Options.Add(o);
        weights.AddTo(command);
        command.SetAction(parse =>
        {
            var methodList = Icd.Benchmarks.EditingMethods.Parse(parse.GetValue(methods)!);
            if (parse.GetValue(limit) is < 1) throw new ArgumentException("--limit must be at least 1");
            var items = PieBenchData.Load(parse.GetValue(data)!, parse.GetValue(subset)!, parse.GetValue(images));
            if (items.Count == 0) throw new ArgumentException($"--data {parse.GetValue(data)}: no items (subset {parse.GetValue(subset)})");
            var metricWeights = weights.Read(parse);
            using var m = ModelOptions.Load(parse.GetValue(model)!, dtype: parse.GetValue(dtype));
            using var networks = new MetricNetworks(metricWeights);
            string outFolder = parse.GetValue(output)!;
            var options = new PieBenchOptions { OutputFolder = outFolder, Methods = methodList, Limit = parse.GetValue(limit), Seed = parse.GetValue(seed) };
            int total = Math.Min(items.Count, options.Limit ?? int.MaxValue) * methodList.Count;
            ConsoleProgress.RunImages("pie-bench", total, false, p => PieBenchRun.Run(m, items, networks, options, p));
            Console.WriteLine($"wrote {Path.Combine(outFolder, "report.md")}");
            return 0;
        });
        return command;
    }

    /// <summary>Where each metric network is: the defaults (`icd pull metrics`), or folders given on the command line.</summary>
    internal sealed class MetricOptions
    {
        public Option<string?> Folder { get; } = new("--weights") { Description = "folder of the metric files from outside the hub: torchvision backbones, lpips-v0.1/, FID Inception (default: $ICD_HOME/metrics)" };
        public Option<string?> Clip { get; } = new("--clip") { Description = "CLIP ViT-L/14 folder or hub repo (default: openai/clip-vit-large-patch14)" };
        public Option<string?> Dinov2 { get; } = new("--dinov2") { Description = "DINOv2 folder or hub repo (default: facebook/dinov2-base)" };
        public Option<string?> Dino { get; } = new("--dino") { Description = "DINO ViT-B/8 folder or hub repo (default: facebook/dino-vitb8)" };
        public Option<string?> ImageReward { get; } = new("--imagereward") { Description = "ImageReward folder or hub repo (default: THUDM/ImageReward)" };
        public Option<string?> Bert { get; } = new("--bert") { Description = "folder or hub repo with bert-base-uncased's vocab.txt (default: google-bert/bert-base-uncased)" };

        public void AddTo(Command command)
        {
            foreach (var o in new[] { Folder, Clip, Dinov2, Dino, ImageReward, Bert }) command.Options.Add(o);
        }

        public MetricWeights Read(ParseResult parse)
        {
            var w = MetricWeights.Default();
            if (parse.GetValue(Folder) is { } folder) w = w with { Folder = folder };
            if (parse.GetValue(Clip) is { } clip) w = w with { ClipLarge = clip };
            if (parse.GetValue(Dinov2) is { } dinov2) w = w with { Dinov2 = dinov2 };
            if (parse.GetValue(Dino) is { } dino) w = w with { Dino = dino };
            if (parse.GetValue(ImageReward) is { } ir) w = w with { ImageReward = ir };
            if (parse.GetValue(Bert) is { } bert) w = w with { BertVocabulary = bert };
            return w;
        }
    }

    private static Command CocoInversion()
    {
        var model = ModelOptions.Model();
        var images = new Option<string>("--images") { Description = "folder of the COCO images named in the CSV", Required = true };
        var captions = new Option<string>("--captions") { Description = "CSV with file_name and caption columns (iCD's generation_coco.csv layout)", Required = true };
        var count = new Option<int?>("--count") { Description = "the first N rows (iCD's table: 5000)" };
        var compare = new Option<string[]>("--compare") { Description = "another manifest whose fCD | CD pair adds rows, e.g. Inverse-and-Edit's (repeatable)", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string>("--out") { Description = "run folder (resumed if it holds a run)", DefaultValueFactory = _ => "runs/coco-inversion" };
        var weights = new MetricOptions();
        var dtype = ModelOptions.DType();
        var command = new Command("coco-inversion", "iCD's Table 2 and Inverse-and-Edit's reconstruction table: DDIM50 and fCD | CD, unguided, guided and with dynamic CFG");
        foreach (var o in new Option[] { model, images, captions, count, compare, output, dtype }) command.Options.Add(o);
        weights.AddTo(command);
        command.SetAction(parse =>
        {
            if (parse.GetValue(count) is < 1) throw new ArgumentException("--count must be at least 1");
            string imageFolder = parse.GetValue(images)!;
            if (!Directory.Exists(imageFolder)) throw new DirectoryNotFoundException($"--images {imageFolder} does not exist");
            var items = CocoCaptions.Load(parse.GetValue(captions)!, parse.GetValue(count));
            using var m = ModelOptions.Load(parse.GetValue(model)!, dtype: parse.GetValue(dtype));
            using var networks = new MetricNetworks(weights.Read(parse));
            var options = new CocoInversionOptions { OutputFolder = parse.GetValue(output)!, Compare = parse.GetValue(compare) ?? [] };
            int configurations = 3 * (2 + options.Compare.Count);
            ConsoleProgress.RunImages("coco-inversion", items.Count * configurations, false, p => CocoInversionRun.Run(m, imageFolder, items, networks, options, p));
            Console.WriteLine($"wrote {Path.Combine(options.OutputFolder, "report.md")}");
            return 0;
        });
        return command;
    }

    private static Command CocoGeneration()
    {
        var model = ModelOptions.Model();
        var captions = new Option<string>("--captions") { Description = "CSV with a caption column (iCD's generation_coco.csv)", Required = true };
        var count = new Option<int?>("--count") { Description = "the first N captions (iCD's FID-5k: 5000)" };
        var guidance = new Option<double>("--guidance") { Description = "classical CFG scale ω (Table 4: 8)", DefaultValueFactory = _ => 8 };
        var taus = new Option<string>("--tau") { Description = "dynamic-CFG τ per row, comma-separated (1 = guidance at every step)", DefaultValueFactory = _ => "1,0.8" };
        var ddim = new Option<bool>("--ddim") { Description = "add the DDIM 50 teacher row" };
        var fidStats = new Option<string?>("--fid-stats") { Description = "pytorch-fid statistics of the reference (iCD: fid_stats_mscoco256_val.npz)" };
        var fidSize = new Option<int>("--fid-size") { Description = "FID preprocessing: Lanczos resize of the short side + centre crop to this size", DefaultValueFactory = _ => 256 };
        var output = new Option<string>("--out") { Description = "run folder (resumed if it holds a run)", DefaultValueFactory = _ => "runs/coco-generation" };
        var weights = new MetricOptions();
        var dtype = ModelOptions.DType();
        var command = new Command("coco-generation", "iCD's Table 4: FID, CLIP score and ImageReward of text-to-image generation from COCO captions");
        foreach (var o in new Option[] { model, captions, count, guidance, taus, ddim, fidStats, fidSize, output, dtype }) command.Options.Add(o);
        weights.AddTo(command);
        command.SetAction(parse =>
        {
            if (parse.GetValue(count) is < 2) throw new ArgumentException("--count must be at least 2 (FID needs two images)");
            var tauList = ModelOptions.ParseList(parse.GetValue(taus)!, "--tau");
            foreach (var t in tauList) Icd.Pipelines.SettingRange.Fraction.Check(t, "--tau");
            if (parse.GetValue(fidStats) is { } stats && !File.Exists(stats)) throw new FileNotFoundException($"--fid-stats {stats} not found", stats);
            if (parse.GetValue(fidSize) is < 16 or > 2048) throw new ArgumentException("--fid-size must be in 16..2048");
            var items = CocoCaptions.Load(parse.GetValue(captions)!, parse.GetValue(count));
            using var m = ModelOptions.Load(parse.GetValue(model)!, dtype: parse.GetValue(dtype));
            using var networks = new MetricNetworks(weights.Read(parse));
            var options = new CocoGenerationOptions
            {
                OutputFolder = parse.GetValue(output)!, Guidance = parse.GetValue(guidance), Taus = tauList, Ddim = parse.GetValue(ddim),
                FidStatistics = parse.GetValue(fidStats), FidSize = parse.GetValue(fidSize),
            };
            int rows = tauList.Length + (options.Ddim ? 1 : 0);
            ConsoleProgress.RunImages("coco-generation", items.Count * rows, false, p => CocoGenerationRun.Run(m, items, networks, options, p));
            Console.WriteLine($"wrote {Path.Combine(options.OutputFolder, "report.md")}");
            return 0;
        });
        return command;
    }

    private static Command ShapesPieBenchData()
    {
        var output = new Option<string>("--out") { Description = "folder to write (mapping_file.json, annotation_images/)", Required = true };
        var perKind = new Option<int>("--per-kind") { Description = "edits of each of the six Shapes edit kinds", DefaultValueFactory = _ => 2 };
        var command = new Command("shapes-pie-data", "Write a small PIE-Bench-format benchmark of held-out Shapes edits (true change masks as PIE's RLE masks)");
        command.Options.Add(output);
        command.Options.Add(perKind);
        command.SetAction(parse =>
        {
            if (parse.GetValue(perKind) is < 1 or > 1000) throw new ArgumentException("--per-kind must be in 1..1000");
            ShapesPieData.Write(parse.GetValue(output)!, parse.GetValue(perKind));
            Console.WriteLine($"wrote {Path.Combine(parse.GetValue(output)!, "mapping_file.json")}");
            return 0;
        });
        return command;
    }
}
