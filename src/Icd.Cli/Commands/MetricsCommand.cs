using System.CommandLine;
using System.Text.Json;
using Icd.Metrics.Fid;
using Icd.Torch;

namespace Icd.Cli.Commands;

/// <summary><c>icd metrics …</c>: the papers' metrics. So far FID's statistics and distance
/// (pytorch-fid's <c>.npz</c> format; the Inception network that makes the features is issue 41's
/// next part).</summary>
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
        return metrics;
    }

    private static FidStatistics Statistics(string path)
    {
        if (path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) return FidStatistics.Load(path);
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"'{path}': expected FID statistics (.npz) or a feature matrix (.npy)");
        if (!File.Exists(path)) throw new FileNotFoundException($"features not found: {path}", path);
        using var stream = File.OpenRead(path);
        var array = NpyArray.Read(stream, path);
        if (array.Shape.Length != 2) throw new InvalidDataException($"{path}: features must be an N × d matrix, not [{string.Join(", ", array.Shape)}]");
        using var scope = new TensorScope();
        return FidStatistics.FromFeatures(Tensor.FromValues(array.Data, array.Shape));
    }
}
