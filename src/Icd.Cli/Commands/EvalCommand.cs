using System.CommandLine;
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
        var weights = new Option<string?>("--weights") { Description = "folder of the metric files from outside the hub (default: $ICD_HOME/metrics)" };
        var seed = ModelOptions.Seed();
        var dtype = ModelOptions.DType();
        var command = new Command("pie-bench", "Edit every PIE-Bench item with each method and score it with PIE-Bench's, iCD's and Inverse-and-Edit's metrics");
        foreach (var o in new Option[] { model, data, images, subset, methods, output, limit, weights, seed, dtype }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var methodList = Icd.Benchmarks.EditingMethods.Parse(parse.GetValue(methods)!);
            if (parse.GetValue(limit) is < 1) throw new ArgumentException("--limit must be at least 1");
            var items = PieBenchData.Load(parse.GetValue(data)!, parse.GetValue(subset)!, parse.GetValue(images));
            if (items.Count == 0) throw new ArgumentException($"--data {parse.GetValue(data)}: no items (subset {parse.GetValue(subset)})");
            var metricWeights = MetricWeights.Default();
            if (parse.GetValue(weights) is { } folder) metricWeights = metricWeights with { Folder = folder };
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
