using System.Diagnostics;
using Icd.Denoising;
using Icd.Latents;
using Icd.Text;
using Icd.Torch;

namespace Icd.Cli.Bench;

/// <summary><c>icd bench unet</c>: a family's full UNet (random weights, iCD's guidance embedding),
/// VAE and text encoders at its native size (SD1.5: 64×64 latent, 512²; SDXL: 128×128, 1024²),
/// fp32, under inference mode.</summary>
internal static class ModelBenchmark
{
    /// <summary>Floating-point operations of one SD1.5 UNet forward at a 64×64 latent, batch 1
    /// (≈ 0.84 TFLOP, counting a multiply-add as two).</summary>
    public const double UNetTflopPerSample = 0.84;

    /// <summary>Every network once per dtype, side by side in one run (issue 38).</summary>
    public static object Run(int repeats, string family, IReadOnlyList<DType> dtypes, string? profileDirectory = null)
    {
        double sgemmPeak = SgemmPeak();
        var results = dtypes.Select(d => new { dtype = Icd.Pipelines.InferencePrecision.Name(d), results = RunOne(repeats, family, d, sgemmPeak, profileDirectory) }).ToList();
        return new
        {
            benchmark = "unet",
            family,
            threads = TorchRuntime.Threads,
            sgemm_peak_gflops = sgemmPeak,
            unet_tflop_per_sample = family == "sd15" ? UNetTflopPerSample : (double?)null,
            peak_rss_gb = Math.Round(PeakRssBytes() / 1e9, 2),
            by_dtype = results,
        };
    }

    private static List<object> RunOne(int repeats, string family, DType dtype, double sgemmPeak, string? profileDirectory)
    {
        var results = new List<object>();
        using var gen = new Generator(0);
        using var inference = Autograd.InferenceMode();
        var sw = Stopwatch.StartNew();
        var config = RandomModels.UNet(family);
        long side = config.SampleSize!.Value;
        using (var unet = new UNet2DConditionModel(config))
        {
            unet.To(dtype);
            double build = sw.Elapsed.TotalSeconds;
            foreach (int batch in new[] { 1, 2 })
            {
                using var scope = new TensorScope();
                var x = Tensor.Randn([batch, 4, side, side], gen);
                var ctx = Tensor.Randn([batch, 77, config.CrossAttentionDim], gen);
                var w = Embeddings.GuidanceScale(Enumerable.Repeat(7.0, batch).ToArray(), 512);
                var added = config.AddedTextEmbedsDim is { } p
                    ? new AddedConditions(Tensor.Randn([batch, p], gen), AddedConditions.TimeIdsOf((1024, 1024), (0, 0), (1024, 1024)).Expand(batch, -1))
                    : null;
                double seconds = OpsBenchmark.Time(() => unet.Forward(x, 500, ctx, w, added).Dispose(), repeats);
                double? gflops = family == "sd15" ? UNetTflopPerSample * 1000 * batch / seconds : null;
                object? topOps = null;
                if (profileDirectory is not null && batch == 1)
                {
                    string trace = Path.Combine(profileDirectory, $"unet-{family}-{Icd.Pipelines.InferencePrecision.Name(dtype)}.json");
                    using (OpProfile.Record(trace)) unet.Forward(x, 500, ctx, w, added).Dispose();
                    topOps = OpProfile.Summarize(trace).Take(15).Select(o => new { op = o.Name, calls = o.Calls, self_ms = Math.Round(o.SelfMilliseconds, 1) }).ToArray();
                }
                results.Add(new
                {
                    name = $"unet_{family}_{side}x{side}_batch{batch}", seconds, gflops, fraction_of_sgemm_peak = gflops / sgemmPeak,
                    build_seconds = batch == 1 ? build : (double?)null, top_ops = topOps,
                });
            }
        }
        var vaeConfig = RandomModels.Vae(family);
        int pixels = (int)side * vaeConfig.DownscaleFactor;
        using (var vae = new AutoencoderKL(vaeConfig))
        {
            vae.To(dtype);
            using var scope = new TensorScope();
            var image = Tensor.Randn([1, 3, pixels, pixels], gen);
            results.Add(new { name = $"vae_encode_{pixels}", seconds = OpsBenchmark.Time(() => vae.Encode(image).Dispose(), repeats) });
            var latent = Tensor.Randn([1, 4, side, side], gen);
            results.Add(new { name = $"vae_decode_{pixels}", seconds = OpsBenchmark.Time(() => vae.Decode(latent).Dispose(), repeats) });
        }
        using (var te = new ClipTextModel(new ClipTextConfig()))
        {
            te.To(dtype);
            using var scope = new TensorScope();
            var ids = Tensor.Randint(0, 49408, [2, 77], gen);
            results.Add(new { name = "text_encoder_batch2", seconds = OpsBenchmark.Time(() => te.Forward(ids).Dispose(), repeats) });
        }
        if (family == "sdxl")
        {
            using var te2 = new ClipTextModelWithProjection(RandomModels.TextEncoder2);
            te2.To(dtype);
            using var scope = new TensorScope();
            var ids = Tensor.Randint(0, 49408, [2, 77], gen);
            results.Add(new { name = "text_encoder_2_batch2", seconds = OpsBenchmark.Time(() => { var (s, e) = te2.Forward(ids); s.LastHiddenState.Dispose(); s.PenultimateHiddenState.Dispose(); e.Dispose(); }, repeats) });
        }
        return results;
    }

    /// <summary>The measured sgemm rate at 4096³ (the denominator of the 50 % target).</summary>
    private static double SgemmPeak()
    {
        using var scope = new TensorScope();
        using var gen = new Generator(1);
        var a = Tensor.Randn([4096, 4096], gen);
        double seconds = OpsBenchmark.Time(() => a.Mm(a).Dispose(), 2);
        return 2.0 * 4096 * 4096 * 4096 / seconds / 1e9;
    }

    /// <summary>VmHWM: the process's peak resident set.</summary>
    internal static long PeakRssBytes() => StatusBytes("VmHWM:");

    /// <summary>VmRSS: the process's resident set now.</summary>
    internal static long CurrentRssBytes() => StatusBytes("VmRSS:");

    private static long StatusBytes(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        return 0;
    }

    /// <summary>Resets VmHWM to the current resident set (Linux: "5" to /proc/self/clear_refs), so a
    /// later <see cref="PeakRssBytes"/> is the peak of what ran in between.</summary>
    internal static void ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException)
        {
            // Not Linux or not permitted: peaks then cover the whole process.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
