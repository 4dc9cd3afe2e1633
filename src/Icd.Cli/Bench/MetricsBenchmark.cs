using System.Diagnostics;
using Icd.Metrics;
using Icd.Metrics.Clip;
using Icd.Metrics.Dino;
using Icd.Metrics.Fid;
using Icd.Metrics.ImageReward;
using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Cli.Bench;

/// <summary><c>icd bench metrics</c>: seconds per image of each metric network (LPIPS with AlexNet,
/// VGG16 and SqueezeNet at 256² and 512², random weights written to files and loaded the way
/// released weights are; CLIP ViT-L/14 and B/32, DINOv2-base, DINO ViT-B/8, FID Inception and
/// ImageReward at their full sizes with random weights, one image per pass, float32) and of FID at
/// Inception's 2048 dimensions (statistics of 5,000 feature vectors, the Fréchet distance).</summary>
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
            Networks(rows, gen, repeats);
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

    /// <summary>The transformer metrics and FID's Inception, each built at its released size.</summary>
    private static void Networks(List<object> rows, Generator gen, int repeats)
    {
        void Row(string metric, int size, Action run) =>
            rows.Add(new { metric, image_size = size, seconds_per_image = Math.Round(OpsBenchmark.Time(run, repeats), 4) });
        Tensor Image(int size) => Tensor.Randn([1, 3, size, size], gen);

        foreach (var (name, config) in new[]
        {
            ("clip_vit_l14", new ClipConfig { ProjectionDim = 768,
                TextConfig = new ClipTextConfig { HiddenSize = 768, IntermediateSize = 3072, NumAttentionHeads = 12, EosTokenId = 2 },
                VisionConfig = new ClipVisionConfig { HiddenSize = 1024, IntermediateSize = 4096, NumAttentionHeads = 16, NumHiddenLayers = 24, PatchSize = 14 } }),
            ("clip_vit_b32", new ClipConfig { TextConfig = new ClipTextConfig { HiddenSize = 512, IntermediateSize = 2048, NumAttentionHeads = 8, EosTokenId = 2 } }),
        })
        {
            using var clip = new ClipModel(config);
            clip.Eval();
            using var scope = new TensorScope();
            var pixels = Image(224);
            var ids = Tensor.Randint(0, 49407, [1, 77], gen);
            Row($"{name}_image", 224, () => clip.ImageFeatures(pixels).Dispose());
            Row($"{name}_text", 0, () => clip.TextFeatures(ids).Dispose());
        }
        using (var dinov2 = new Dinov2Model(new Dinov2Config()))
        using (var scope = new TensorScope())
        {
            var pixels = Image(224);
            Row("dinov2_base", 224, () => { var (h, p) = dinov2.Forward(pixels); h.Dispose(); p.Dispose(); });
        }
        using (var dino = new VitModel(new VitConfig { PatchSize = 8 }))
        using (var scope = new TensorScope())
        {
            var pixels = Image(224);
            using var distance = new StructureDistance(dino, ownsModel: false);
            Row("dino_vitb8_keys_self_similarity", 224, () => distance.SelfSimilarity(pixels).Dispose());
        }
        using (var inception = new FidInceptionV3())
        using (var scope = new TensorScope())
        {
            inception.Eval();
            var images = Tensor.Rand([1, 3, 299, 299], gen);
            Row("fid_inception_pool3", 299, () => inception.Features(images).Dispose());
        }
        using (var reward = new ImageRewardModel(new BlipVisionConfig(), new MedBertConfig()))
        using (var scope = new TensorScope())
        {
            var pixels = Image(224);
            var ids = Tensor.Randint(1000, 30000, [1, BlipTokenizer.MaxLength], gen);
            var mask = Tensor.Ones([1, BlipTokenizer.MaxLength], DType.Int64);
            Row("imagereward", 224, () => reward.Reward(pixels, ids, mask).Dispose());
        }
    }
}
