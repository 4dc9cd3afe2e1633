using System.CommandLine;
using System.Text.Json;
using Icd.Metrics.Fid;
using Icd.Torch;

namespace Icd.Cli.Commands;

/// <summary><c>icd metrics --a A --b B [--prompt P]</c>: every metric of the papers that applies to
/// a pair of images (and a prompt); subcommands for LPIPS alone and FID's statistics and distance
/// (pytorch-fid's <c>.npz</c> format).</summary>
internal static class MetricsCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Create()
    {
        var metrics = new Command("metrics", "The papers' metrics: every metric between two images (--a, --b, --prompt), or a subcommand");
        var pairA = new Option<string>("--a") { Description = "the source image (PNG or JPEG)" };
        var pairB = new Option<string>("--b") { Description = "the result image (edit, reconstruction)" };
        var prompt = new Option<string?>("--prompt") { Description = "the prompt the result should show (CLIP score, ImageReward)" };
        var asJson = new Option<bool>("--json") { Description = "print JSON instead of a table" };
        var pairWeights = new EvalCommand.MetricOptions();
        foreach (var o in new Option[] { pairA, pairB, prompt, asJson }) metrics.Options.Add(o);
        pairWeights.AddTo(metrics);
        metrics.SetAction(parse =>
        {
            string? pathA = parse.GetValue(pairA), pathB = parse.GetValue(pairB);
            if (pathA is null || pathB is null) throw new ArgumentException("icd metrics needs --a and --b (or a subcommand: lpips, fid, fid-stats)");
            var weights = pairWeights.Read(parse);
            var a = ModelOptions.ReadImage(pathA);
            var b = ModelOptions.ReadImage(pathB);
            using var suite = new Icd.Metrics.PairMetrics(weights);
            var values = suite.Compute(a, b, parse.GetValue(prompt));
            if (parse.GetValue(asJson))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    metrics = values.Where(v => v.Value is not null).ToDictionary(v => v.Name, v => double.IsFinite(v.Value!.Value) ? (object)v.Value!.Value : v.Value!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    unavailable = values.Where(v => v.Value is null).ToDictionary(v => v.Name, v => v.Unavailable),
                }, Json));
                return 0;
            }
            foreach (var v in values)
                Console.WriteLine(v.Value is { } x
                    ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{v.Name,-20} {x,12:G6}   {v.Definition}")
                    : $"{v.Name,-20} {"—",12}   unavailable: {v.Unavailable}");
            return 0;
        });
        var a = new Argument<string>("a") { Description = "FID statistics (.npz with mu and sigma, as pytorch-fid writes), features (.npy, N × d) or a folder of images" };
        var b = new Argument<string>("b") { Description = "the other set, likewise" };
        var dims = new Option<int>("--dims") { Description = "Inception features for image folders: 64, 192, 768 or 2048 (pytorch-fid's --dims)", DefaultValueFactory = _ => FidInceptionV3.Dims };
        var batch = new Option<int>("--batch-size") { Description = "images per Inception pass", DefaultValueFactory = _ => 50 };
        var inceptionWeights = new Option<string?>("--weights") { Description = "pytorch-fid's pt_inception-2015-12-05-6726825d.pth (default: in $ICD_HOME/metrics, where `icd pull metrics` puts it)" };
        var fid = new Command("fid", "Fréchet distance between two sets (pytorch-fid's formula, float64)");
        fid.Arguments.Add(a);
        fid.Arguments.Add(b);
        foreach (var o in new Option[] { dims, batch, inceptionWeights }) fid.Options.Add(o);
        fid.SetAction(parse =>
        {
            using var features = new InceptionOnDemand(parse.GetValue(inceptionWeights), parse.GetValue(dims), parse.GetValue(batch));
            var sa = features.Statistics(parse.GetValue(a)!);
            var sb = features.Statistics(parse.GetValue(b)!);
            Console.WriteLine(JsonSerializer.Serialize(new { fid = FrechetDistance.Compute(sa, sb), dims = sa.Dims }, Json));
            return 0;
        });
        metrics.Subcommands.Add(fid);

        var source = new Argument<string>("features") { Description = "features (.npy, N × d) or a folder of images" };
        var output = new Argument<string>("out") { Description = "statistics to write (.npz, pytorch-fid's format)" };
        var stats = new Command("fid-stats", "FID statistics (mean, covariance) of a feature matrix or an image folder, saved as pytorch-fid saves them");
        stats.Arguments.Add(source);
        stats.Arguments.Add(output);
        foreach (var o in new Option[] { dims, batch, inceptionWeights }) stats.Options.Add(o);
        stats.SetAction(parse =>
        {
            string outPath = parse.GetValue(output)!;
            Icd.Imaging.OutputFile.Check(outPath, "out", ".npz");
            using var features = new InceptionOnDemand(parse.GetValue(inceptionWeights), parse.GetValue(dims), parse.GetValue(batch));
            var s = features.Statistics(parse.GetValue(source)!);
            s.Save(outPath);
            Console.WriteLine($"wrote {outPath} ({s.Dims} dimensions)");
            return 0;
        });
        metrics.Subcommands.Add(stats);

        var imageA = new Option<string>("--a") { Description = "image (PNG or JPEG)", Required = true };
        var imageB = new Option<string>("--b") { Description = "the other image, of the same size", Required = true };
        var net = new Option<string>("--net") { Description = "LPIPS backbone: alex (the lpips package's default), vgg, squeeze", DefaultValueFactory = _ => "alex" };
        var weights = new Option<string?>("--weights") { Description = "folder holding torchvision's backbone .pth and lpips-v0.1/*.pth (default: $ICD_HOME/metrics, where `icd pull metrics` puts them)" };
        var lpips = new Command("lpips", "LPIPS v0.1 distance between two images (inputs in [−1, 1] at their own size, spatial average)");
        foreach (var o in new Option[] { imageA, imageB, net, weights }) lpips.Options.Add(o);
        lpips.SetAction(parse =>
        {
            string name = parse.GetValue(net)!;
            if (name is not ("alex" or "vgg" or "squeeze")) throw new ArgumentException($"--net '{name}': expected alex, vgg or squeeze");
            var a = ModelOptions.ReadImage(parse.GetValue(imageA)!);
            var b = ModelOptions.ReadImage(parse.GetValue(imageB)!);
            if (a.Width != b.Width || a.Height != b.Height)
                throw new ArgumentException($"--a is {a.Width}×{a.Height} and --b {b.Width}×{b.Height}: LPIPS compares images of one size");
            var files = Icd.Metrics.MetricWeights.Default();
            if (parse.GetValue(weights) is { } folder) files = files with { Folder = folder };
            using var networks = new Icd.Metrics.MetricNetworks(files);
            double distance = Icd.Metrics.PairMetrics.LpipsDistance(networks.Lpips(name), a, b);
            Console.WriteLine(JsonSerializer.Serialize(new { lpips = distance, net = name }, Json));
            return 0;
        });
        metrics.Subcommands.Add(lpips);
        return metrics;
    }

    /// <summary>FID statistics from .npz, .npy or an image folder; the Inception network loads only for folders.</summary>
    private sealed class InceptionOnDemand(string? weights, int dims, int batchSize) : IDisposable
    {
        private FidInceptionV3? _inception;

        public FidStatistics Statistics(string path)
        {
            if (path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) return FidStatistics.Load(path);
            if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) return FidStatistics.FromFeatureFile(path);
            if (!Directory.Exists(path))
                throw new ArgumentException($"'{path}': expected FID statistics (.npz), a feature matrix (.npy) or a folder of images");
            var files = FidFeatures.FilesIn(path);
            _inception ??= FidInceptionV3.Load(weights ?? Icd.Metrics.MetricWeights.Default().Inception);
            using var scope = new TensorScope();
            var features = ConsoleProgress.RunImages($"FID features of {path}", files.Count, false, progress =>
                FidFeatures.Extract(_inception, files, dims, batchSize, progress));
            return FidStatistics.FromFeatures(features);
        }

        public void Dispose() => _inception?.Dispose();
    }
}
