using System.Diagnostics;
using Icd.Denoising;
using Icd.Latents;
using Icd.Text;
using Icd.Torch;

namespace Icd.Cli.Bench;

/// <summary><c>icd bench unet</c>: the full SD1.5 UNet (random weights, iCD's guidance embedding),
/// the VAE at 512² and the CLIP text encoder, fp32, under inference mode.</summary>
internal static class ModelBenchmark
{
    /// <summary>Floating-point operations of one SD1.5 UNet forward at a 64×64 latent, batch 1
    /// (≈ 0.84 TFLOP, counting a multiply-add as two).</summary>
    public const double UNetTflopPerSample = 0.84;

    public static object Run(int repeats)
    {
        double sgemmPeak = SgemmPeak();
        var results = new List<object>();
        using var gen = new Generator(0);
        using var inference = Autograd.InferenceMode();
        var sw = Stopwatch.StartNew();
        using (var unet = new UNet2DConditionModel(new UNetConfig { CrossAttentionDim = 768, TimeCondProjDim = 512 }))
        {
            double build = sw.Elapsed.TotalSeconds;
            foreach (int batch in new[] { 1, 2 })
            {
                using var scope = new TensorScope();
                var x = Tensor.Randn([batch, 4, 64, 64], gen);
                var ctx = Tensor.Randn([batch, 77, 768], gen);
                var w = Embeddings.GuidanceScale(Enumerable.Repeat(7.0, batch).ToArray(), 512);
                double seconds = OpsBenchmark.Time(() => unet.Forward(x, 500, ctx, w).Dispose(), repeats);
                double gflops = UNetTflopPerSample * 1000 * batch / seconds;
                results.Add(new
                {
                    name = $"unet_sd15_64x64_batch{batch}", seconds, gflops, fraction_of_sgemm_peak = gflops / sgemmPeak,
                    build_seconds = batch == 1 ? build : (double?)null,
                });
            }
        }
        using (var vae = new AutoencoderKL(new VaeConfig()))
        {
            using var scope = new TensorScope();
            var image = Tensor.Randn([1, 3, 512, 512], gen);
            results.Add(new { name = "vae_encode_512", seconds = OpsBenchmark.Time(() => vae.Encode(image).Dispose(), repeats) });
            var latent = Tensor.Randn([1, 4, 64, 64], gen);
            results.Add(new { name = "vae_decode_512", seconds = OpsBenchmark.Time(() => vae.Decode(latent).Dispose(), repeats) });
        }
        using (var te = new ClipTextModel(new ClipTextConfig()))
        {
            using var scope = new TensorScope();
            var ids = Tensor.Randint(0, 49408, [2, 77], gen);
            results.Add(new { name = "text_encoder_batch2", seconds = OpsBenchmark.Time(() => te.Forward(ids).Dispose(), repeats) });
        }
        return new
        {
            benchmark = "unet",
            dtype = "float32",
            threads = TorchRuntime.Threads,
            sgemm_peak_gflops = sgemmPeak,
            unet_tflop_per_sample = UNetTflopPerSample,
            peak_rss_gb = Math.Round(PeakRssBytes() / 1e9, 2),
            results,
        };
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
    internal static long PeakRssBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
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
