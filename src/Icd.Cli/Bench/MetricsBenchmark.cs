using System.Diagnostics;
using Icd.Metrics;
using Icd.Metrics.Fid;
using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Cli.Bench;

/// <summary><c>icd bench metrics</c>: seconds per image of each metric network ported so far
/// (LPIPS with AlexNet, VGG16 and SqueezeNet at 256² and 512², random weights written to files and
/// loaded the way released weights are) and of FID at Inception's 2048 dimensions (statistics of
/// 5,000 feature vectors, the Fréchet distance).</summary>
internal static class MetricsBenchmark
{
    public static object Run(int repeats)
    {
        var rows = new List<object>();
        using var gen = new Generator(0);
        using var inference = Autograd.InferenceMode();
        string folder = Directory.CreateTempSubdirectory("icd-bench-metrics-").FullName;
        try
        {
            foreach (var (name, make) in new (string, Func<Module>)[] { ("alex", () => new AlexNetFeatures()), ("vgg", () => new Vgg16Features()), ("squeeze", () => new SqueezeNetFeatures()) })
            {
                string backbone = Path.Combine(folder, name + ".safetensors"), heads = Path.Combine(folder, name + "-lin.safetensors");
                using (var net = make())
                {
                    SafetensorsWriter.Write(backbone, net.NamedParameters().Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Parameter)));
                    using var scope = new TensorScope();
                    var channels = ((IPerceptualFeatures)net).Channels;
                    SafetensorsWriter.Write(heads, channels.Select((c, k) => new KeyValuePair<string, Tensor>($"lin{k}.model.1.weight", Tensor.Rand([1, c, 1, 1], gen))));
                }
                using var lpips = name switch
                {
                    "alex" => Lpips.Alex(backbone, heads),
                    "vgg" => Lpips.Vgg(backbone, heads),
                    _ => Lpips.Squeeze(backbone, heads),
                };
                foreach (int size in new[] { 256, 512 })
                {
                    using var scope = new TensorScope();
                    var a = Tensor.Rand([1, 3, size, size], gen) * 2 - 1;
                    var b = Tensor.Rand([1, 3, size, size], gen) * 2 - 1;
                    rows.Add(new { metric = $"lpips_{name}", image_size = size, seconds_per_image = Math.Round(OpsBenchmark.Time(() => lpips.Distance(a, b).Dispose(), repeats), 4) });
                }
            }
            using (var scope = new TensorScope())
            {
                var features = Tensor.Randn([5000, 2048], gen);
                FidStatistics? stats = null;
                double statsSeconds = OpsBenchmark.Time(() => stats = FidStatistics.FromFeatures(features), repeats);
                var other = FidStatistics.FromFeatures(Tensor.Randn([5000, 2048], gen) * 1.1 + 0.1);
                double distanceSeconds = OpsBenchmark.Time(() => FrechetDistance.Compute(stats!, other), repeats);
                rows.Add(new { metric = "fid_statistics_5000x2048", image_size = 0, seconds_per_image = Math.Round(statsSeconds / 5000, 6) });
                rows.Add(new { metric = "fid_distance_2048", image_size = 0, seconds_per_image = Math.Round(distanceSeconds, 3) });
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return new { benchmark = "metrics", threads = TorchRuntime.Threads, note = "fid_distance_2048 is seconds per comparison, not per image", results = rows };
    }
}
