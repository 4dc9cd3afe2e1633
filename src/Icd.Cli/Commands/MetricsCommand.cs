using System.CommandLine;
using System.Text.Json;
using Icd.Metrics.Fid;
using Icd.Torch;

namespace Icd.Cli.Commands;

/// <summary><c>icd metrics …</c>: the papers' metrics, so far LPIPS (AlexNet, VGG16, SqueezeNet)
/// and FID's statistics and distance (pytorch-fid's <c>.npz</c> format; the Inception network that
/// makes the features is still to come, issue 41).</summary>
internal static class MetricsCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Create()
    {
        var metrics = new Command("metrics", "The papers' metrics");
        var a = new Argument<string>("a") { Description = "FID statistics (.npz with mu and sigma, as pytorch-fid writes) or features (.npy, N × d)" };
        var b = new Argument<string>("b") { Description = "the other set, likewise" };
        var fid = new Command("fid", "Fréchet distance between two sets' statistics (pytorch-fid's formula, float64)");
        fid.Arguments.Add(a);
        fid.Arguments.Add(b);
        fid.SetAction(parse =>
        {
            var sa = Statistics(parse.GetValue(a)!);
            var sb = Statistics(parse.GetValue(b)!);
            Console.WriteLine(JsonSerializer.Serialize(new { fid = FrechetDistance.Compute(sa, sb), dims = sa.Dims }, Json));
            return 0;
        });
        metrics.Subcommands.Add(fid);

        var features = new Argument<string>("features") { Description = "features (.npy, N × d)" };
        var output = new Argument<string>("out") { Description = "statistics to write (.npz, pytorch-fid's format)" };
        var stats = new Command("fid-stats", "FID statistics (mean, covariance) of a feature matrix, saved as pytorch-fid saves them");
        stats.Arguments.Add(features);
        stats.Arguments.Add(output);
        stats.SetAction(parse =>
        {
            string outPath = parse.GetValue(output)!;
            if (!outPath.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException($"out '{outPath}' must end in .npz");
            var s = Statistics(parse.GetValue(features)!);
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
            string folder = parse.GetValue(weights) ?? Path.Combine(Icd.Hub.PullSets.IcdHome(), "metrics");
            string name = parse.GetValue(net)!;
            var (backbone, head) = name switch
            {
                "alex" => ("alexnet-owt-7be5be79.pth", "alex.pth"),
                "vgg" => ("vgg16-397923af.pth", "vgg.pth"),
                "squeeze" => ("squeezenet1_1-b8a52dc0.pth", "squeeze.pth"),
                _ => throw new ArgumentException($"--net '{name}': expected alex, vgg or squeeze"),
            };
            var a = ModelOptions.ReadImage(parse.GetValue(imageA)!);
            var b = ModelOptions.ReadImage(parse.GetValue(imageB)!);
            if (a.Width != b.Width || a.Height != b.Height)
                throw new ArgumentException($"--a is {a.Width}×{a.Height} and --b {b.Width}×{b.Height}: LPIPS compares images of one size");
            string backbonePath = Path.Combine(folder, backbone), headPath = Path.Combine(folder, "lpips-v0.1", head);
            using var metric = name switch
            {
                "alex" => Icd.Metrics.Lpips.Alex(backbonePath, headPath),
                "vgg" => Icd.Metrics.Lpips.Vgg(backbonePath, headPath),
                _ => Icd.Metrics.Lpips.Squeeze(backbonePath, headPath),
            };
            using var scope = new TensorScope();
            using var inference = Autograd.InferenceMode();
            var ta = Icd.Pipelines.ImageTensors.ToTensor(a, a.Height, a.Width, Icd.Pipelines.ResizeMode.Stretch);
            var tb = Icd.Pipelines.ImageTensors.ToTensor(b, b.Height, b.Width, Icd.Pipelines.ResizeMode.Stretch);
            Console.WriteLine(JsonSerializer.Serialize(new { lpips = metric.Distance(ta, tb).Item(), net = name }, Json));
            return 0;
        });
        metrics.Subcommands.Add(lpips);
        return metrics;
    }

    private static FidStatistics Statistics(string path)
    {
        if (path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) return FidStatistics.Load(path);
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"'{path}': expected FID statistics (.npz) or a feature matrix (.npy)");
        return FidStatistics.FromFeatureFile(path);
    }
}
