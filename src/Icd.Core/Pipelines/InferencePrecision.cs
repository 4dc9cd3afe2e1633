using Icd.Torch;

namespace Icd.Pipelines;

/// <summary>
/// The dtype networks run inference in (issue 38): <c>fp32</c>, <c>bf16</c>, <c>fp16</c>, or
/// <c>auto</c>. Networks cast their inputs to their weights' dtype and return float32, so scheduler
/// arithmetic, the consistency jump and the sin/cos embeddings stay float32 whatever is chosen.
/// </summary>
public static class InferencePrecision
{
    public static DType Parse(string text, string what) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => DType.Float32,
        "bf16" or "bfloat16" => DType.BFloat16,
        "fp16" or "float16" => TorchRuntime.CudaDeviceCount > 0 ? DType.Float16
            : throw new ArgumentException($"{what} fp16: libtorch's CPU kernels lack float16 layer and group norms; on a CPU use bf16"),
        "auto" => Auto,
        _ => throw new ArgumentException($"{what} '{text}': expected fp32, bf16, fp16 or auto"),
    };

    /// <summary>bfloat16 where the CPU computes it natively (AVX512_BF16 or AMX: oneDNN's bf16 GEMM),
    /// float32 elsewhere: without those instructions bf16 is emulated and slower than float32.</summary>
    public static DType Auto => CpuHasBf16 ? DType.BFloat16 : DType.Float32;

    public static bool CpuHasBf16 { get; } = ReadCpuFlags().Overlaps(["avx512_bf16", "amx_bf16"]);

    private static HashSet<string> ReadCpuFlags()
    {
        const string CpuInfo = "/proc/cpuinfo";
        if (!File.Exists(CpuInfo)) return [];
        var line = File.ReadLines(CpuInfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        return line is null ? [] : [.. line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)];
    }

    public static string Name(DType dtype) => dtype switch
    {
        DType.Float32 => "fp32",
        DType.BFloat16 => "bf16",
        DType.Float16 => "fp16",
        _ => dtype.ToString(),
    };
}
