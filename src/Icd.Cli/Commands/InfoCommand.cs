using System.CommandLine;
using Icd.Torch;

namespace Icd.Cli.Commands;

/// <summary><c>icd info</c>: versions, threads, BLAS and devices; warns when matmul is slow.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Show libtorch version, threads, BLAS and devices");
        command.SetAction(_ =>
        {
            Console.WriteLine($"libtorch     {TorchRuntime.Version}");
            Console.WriteLine($"threads      {TorchRuntime.Threads} (physical cores: {TorchRuntime.PhysicalCores()})");
            // What libgomp and OpenBLAS read when they loaded (README, "Measured": small networks want other values).
            var env = new[] { "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OPENBLAS_NUM_THREADS" }
                .Select(v => $"{v}={Environment.GetEnvironmentVariable(v) ?? (v == "OMP_WAIT_POLICY" ? "PASSIVE (icd's default)" : "(unset)")}");
            Console.WriteLine($"thread env   {string.Join(' ', env)}");
            // Set by ./icd before dotnet starts (glibc reads it only then): huge pages for large tensors.
            Console.WriteLine($"malloc       GLIBC_TUNABLES={Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "(unset: large tensors are faulted in 4 KiB at a time; ./icd sets glibc.malloc.hugetlb=1)"}");
            Console.WriteLine($"cuda devices {TorchRuntime.CudaDeviceCount}");
            Console.WriteLine($"blas         {TorchRuntime.BlasLibrary()}");
            Console.WriteLine($"sgemm 512³   {TorchRuntime.MeasureSgemmGflops():F1} GFLOP/s");
            BlasWarning.Print();
            return 0;
        });
        return command;
    }
}

internal static class BlasWarning
{
    /// <summary>Warns loudly on stderr when matmul runs on the reference BLAS.</summary>
    public static void Print()
    {
        string? warning = TorchRuntime.SlowBlasWarning();
        if (warning is not null) Console.Error.WriteLine($"WARNING: {warning}");
    }
}
