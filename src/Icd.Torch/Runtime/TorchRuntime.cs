using System.Diagnostics;
using Icd.Torch.Interop;

namespace Icd.Torch;

/// <summary>Process-wide libtorch settings and facts: version, threads, devices, BLAS.</summary>
public static unsafe class TorchRuntime
{
    private static int _initialized;

    /// <summary>Sets the intra-op thread count (once per process): <c>OMP_NUM_THREADS</c> when it is set
    /// to a positive number, else the number of physical cores. Hyper-threads share one core's FMA
    /// units, so more threads than cores only adds contention.</summary>
    public static void Initialize()
    {
        if (Interlocked.Exchange(ref _initialized, 1) == 1) return;
        Threads = ThreadsFromEnvironment(Environment.GetEnvironmentVariable("OMP_NUM_THREADS")) ?? PhysicalCores();
    }

    /// <summary>The thread count an <c>OMP_NUM_THREADS</c> value asks for; null when unset or not a positive number
    /// (OpenMP's lists such as "2,1" ask for nested teams, which libtorch does not use: their first entry counts).</summary>
    public static int? ThreadsFromEnvironment(string? value) =>
        int.TryParse(value?.Split(',')[0].Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0 ? n : null;

    /// <summary>Thread settings for small networks such as the Shapes world's: OpenBLAS on one thread
    /// (libtorch parallelises around each BLAS call, and a second pool only competes with its own)
    /// and OpenMP threads that spin about 10⁷ times before they sleep (a wake-up per small op costs
    /// more than the op). On the 2-core build machine they train the Shapes iCD stage at 1.42 instead
    /// of 0.83 steps/s, but slow the SD1.5 UNet from 9.6 to 13.2 s per step (README, "Measured").
    /// A value the user set wins.</summary>
    public static readonly IReadOnlyList<(string Name, string Value)> SmallNetworkThreading =
        [("OPENBLAS_NUM_THREADS", "1"), ("GOMP_SPINCOUNT", "10000000")];

    /// <summary>Chooses <see cref="SmallNetworkThreading"/> for this process. OpenBLAS and libgomp read
    /// them once, when libtorch loads, so this must come before the first tensor operation.</summary>
    public static void UseSmallNetworkThreading()
    {
        if (LibtorchLoaded())
            throw new InvalidOperationException("small-network thread settings must be chosen before the first tensor operation: OpenBLAS and OpenMP read them when libtorch loads");
        foreach (var (name, value) in SmallNetworkThreading) Native.SetNativeEnvironmentDefault(name, value);
    }

    private static bool LibtorchLoaded()
    {
        try
        {
            return File.ReadLines("/proc/self/maps").Any(l => l.Contains("libicd_native", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static string Version
    {
        get
        {
            var buffer = stackalloc byte[64];
            Native.Check(Native.TorchVersion(buffer, 64), "torch version");
            return new string((sbyte*)buffer);
        }
    }

    /// <summary>libtorch's build description (at::show_config()).</summary>
    public static string BuildConfig
    {
        get
        {
            Native.Check(Native.ShowConfig(null, 0, out int needed), "show_config");
            var buffer = new byte[needed];
            fixed (byte* p = buffer) Native.Check(Native.ShowConfig(p, needed, out _), "show_config");
            return System.Text.Encoding.UTF8.GetString(buffer, 0, needed - 1);
        }
    }

    /// <summary>Intra-op threads libtorch uses for one op.</summary>
    public static int Threads
    {
        get
        {
            Native.Check(Native.GetNumThreads(out int n), "get_num_threads");
            return n;
        }
        set
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(nameof(value), value, "thread count must be positive");
            Native.Check(Native.SetNumThreads(value), "set_num_threads");
        }
    }

    public static int CudaDeviceCount
    {
        get
        {
            Native.Check(Native.CudaDeviceCount(out int n), "cuda device count");
            return n;
        }
    }

    /// <summary>Seeds libtorch's global generator (dropout and other ops without an explicit one).</summary>
    public static void ManualSeed(ulong seed) => Native.Check(Native.ManualSeed(seed), "manual_seed");

    /// <summary>Physical cores from /proc/cpuinfo (distinct physical id/core id pairs).</summary>
    public static int PhysicalCores()
    {
        try
        {
            var cores = new HashSet<(string, string)>();
            string physical = "0";
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                int colon = line.IndexOf(':');
                if (colon < 0) continue;
                string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
                if (key == "physical id") physical = value;
                else if (key == "core id") cores.Add((physical, value));
            }
            return cores.Count > 0 ? Math.Min(cores.Count, Environment.ProcessorCount) : Environment.ProcessorCount;
        }
        catch (IOException)
        {
            return Environment.ProcessorCount;
        }
    }

    /// <summary>The BLAS shared object libtorch's matmul actually runs on, read from the process's
    /// memory map after one matmul (Debian's libtorch calls whatever libblas.so.3 points to).</summary>
    public static string BlasLibrary()
    {
        using (var a = Tensor.Ones([64, 64]))
        using (var b = a.Mm(a)) { }
        try
        {
            var libs = File.ReadLines("/proc/self/maps")
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(p => p.Length >= 6)
                .Select(p => p[5])
                .Where(path => Path.GetFileName(path).Contains("blas", StringComparison.OrdinalIgnoreCase))
                .Distinct()
                .ToList();
            return libs.Count == 0 ? "unknown" : string.Join(", ", libs);
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>Measures sgemm at 512³ and returns GFLOP/s. Debian's reference BLAS reaches
    /// ~3 GFLOP/s, OpenBLAS 50+ on two cores.</summary>
    public static double MeasureSgemmGflops(int n = 512, int repeats = 3)
    {
        using var scope = new TensorScope();
        using var gen = new Generator(0);
        var a = Tensor.Randn([n, n], gen);
        var b = Tensor.Randn([n, n], gen);
        a.Mm(b).Dispose();
        var sw = Stopwatch.StartNew();
        for (int k = 0; k < repeats; k++) a.Mm(b).Dispose();
        return 2.0 * n * n * n * repeats / sw.Elapsed.TotalSeconds / 1e9;
    }

    /// <summary>Null when matmul runs on a fast BLAS; otherwise a warning saying how to fix it.</summary>
    public static string? SlowBlasWarning()
    {
        string blas = BlasLibrary();
        double gflops = MeasureSgemmGflops();
        bool reference = blas.Contains("/blas/", StringComparison.Ordinal) || blas.Contains("libblas.so", StringComparison.Ordinal) && !blas.Contains("openblas", StringComparison.OrdinalIgnoreCase);
        if (!reference && gflops >= 10) return null;
        return $"matmul runs at {gflops:F1} GFLOP/s on BLAS '{blas}': this is the slow reference BLAS. " +
               "Install OpenBLAS (apt-get install libopenblas0-pthread) so that libblas.so.3 points to it; expect 20x faster.";
    }
}
