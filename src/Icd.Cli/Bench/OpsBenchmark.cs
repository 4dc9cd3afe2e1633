using System.Diagnostics;
using System.Text.Json.Serialization;
using Icd.Torch;

namespace Icd.Cli.Bench;

/// <summary>sgemm at 1024³–4096³ and the SD1.5 UNet's most common conv (320→320, 3×3, 64×64),
/// against the theoretical fp32 peak (cores × GHz × 32 flops/cycle for AVX2 with two FMA units).</summary>
internal static class OpsBenchmark
{
    internal sealed record Measurement(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("gflop")] double Gflop,
        [property: JsonPropertyName("seconds")] double Seconds,
        [property: JsonPropertyName("gflops")] double Gflops,
        [property: JsonPropertyName("fraction_of_peak")] double FractionOfPeak);

    public static object Run()
    {
        var cpu = CpuInfo.Read();
        double peak = cpu.PeakGflops;
        var results = new List<Measurement>();
        using var gen = new Generator(0);
        foreach (int n in new[] { 1024, 2048, 4096 })
        {
            using var scope = new TensorScope();
            var a = Tensor.Randn([n, n], gen);
            var b = Tensor.Randn([n, n], gen);
            double gflop = 2.0 * n * n * n / 1e9;
            double seconds = Time(() => a.Mm(b).Dispose(), n >= 4096 ? 2 : 4);
            results.Add(new($"sgemm_{n}", gflop, seconds, gflop / seconds, gflop / seconds / peak));
        }
        using (var scope = new TensorScope())
        {
            var x = Tensor.Randn([1, 320, 64, 64], gen);
            var w = Tensor.Randn([320, 320, 3, 3], gen);
            double gflop = 2.0 * 320 * 320 * 9 * 64 * 64 / 1e9;
            double seconds = Time(() => Functional.Conv2d(x, w, null, padding: 1).Dispose(), 4);
            results.Add(new("conv2d_320x320_3x3_64x64", gflop, seconds, gflop / seconds, gflop / seconds / peak));
        }
        return new
        {
            benchmark = "ops",
            cpu = cpu.Model,
            cores = cpu.Cores,
            ghz = Math.Round(cpu.Ghz, 3),
            avx512 = cpu.Avx512,
            peak_gflops_fp32 = Math.Round(peak, 1),
            peak_formula = "cores x GHz x 32 (AVX2, 2 FMA units x 8 floats x 2 flops)",
            // With AVX-512 the same units retire 16-float FMAs: the honest ceiling is twice as high.
            peak_gflops_fp32_avx512 = cpu.Avx512 ? Math.Round(2 * peak, 1) : (double?)null,
            threads = TorchRuntime.Threads,
            blas = TorchRuntime.BlasLibrary(),
            libtorch = TorchRuntime.Version,
            results,
            note = "conv2d may exceed the peak: oneDNN can use Winograd convolution, which needs fewer flops than the direct count used here",
        };
    }

    /// <summary>Best of <paramref name="repeats"/> after one warm-up run.</summary>
    internal static double Time(Action action, int repeats)
    {
        action();
        double best = double.MaxValue;
        for (int k = 0; k < repeats; k++)
        {
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }
}

internal sealed record CpuInfo(string Model, int Cores, double Ghz, bool Avx512)
{
    public double PeakGflops => Cores * Ghz * 32;

    public static CpuInfo Read()
    {
        string model = "unknown";
        double mhz = 0;
        bool avx512 = false;
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            if (key == "model name" && model == "unknown") model = value;
            else if (key == "cpu MHz" && double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out double m)) mhz = Math.Max(mhz, m);
            else if (key == "flags") avx512 = value.Split(' ').Contains("avx512f");
        }
        // The model name's nominal clock ("@ 2.20GHz") when present, else the reported clock.
        var match = System.Text.RegularExpressions.Regex.Match(model, @"([0-9.]+)\s*GHz");
        double ghz = match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : mhz / 1000;
        return new CpuInfo(model, TorchRuntime.PhysicalCores(), ghz, avx512);
    }
}
