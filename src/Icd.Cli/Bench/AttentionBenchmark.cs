using Icd.Blocks;
using Icd.Torch;

namespace Icd.Cli.Bench;

/// <summary><c>icd bench attention</c>: the attention study of issue 38. SD1.5's largest layer (the
/// 4096-token self-attention of the first and last blocks at 512²: 320 channels, 8 heads of 40) in
/// each dtype, whole and in query-row blocks of several sizes (<see cref="Attention.SliceBytes"/>),
/// with the peak resident memory each adds.</summary>
internal static class AttentionBenchmark
{
    /// <summary>Block bounds timed, in MiB of attention scores; 0 = the whole layer at once.</summary>
    public static readonly long[] BoundsMiB = [0, 1024, 256, 64, 16, 4];

    public static object Run(int repeats, IReadOnlyList<DType> dtypes)
    {
        long saved = Attention.SliceBytes;
        var rows = new List<object>();
        try
        {
            using var gen = new Generator(0);
            using var inference = Autograd.InferenceMode();
            foreach (var dtype in dtypes)
            {
                using var attention = new Attention(320, 8, 40);
                attention.To(dtype);
                foreach (int batch in new[] { 1, 2 })
                {
                    using var x = Tensor.Randn([batch, 4096, 320], gen).To(dtype);
                    foreach (long bound in BoundsMiB)
                    {
                        Attention.SliceBytes = bound == 0 ? long.MaxValue : bound << 20;
                        long before = ModelBenchmark.CurrentRssBytes();
                        ModelBenchmark.ResetPeakRss();
                        double seconds = OpsBenchmark.Time(() => attention.Forward(x).Dispose(), repeats);
                        rows.Add(new
                        {
                            dtype = Icd.Pipelines.InferencePrecision.Name(dtype), batch,
                            block_bound_mib = bound == 0 ? (long?)null : bound,
                            seconds = Math.Round(seconds, 4),
                            added_peak_rss_mb = Math.Round((ModelBenchmark.PeakRssBytes() - before) / 1e6, 0),
                        });
                    }
                }
            }
        }
        finally
        {
            Attention.SliceBytes = saved;
        }
        return new
        {
            benchmark = "attention",
            layer = "SD1.5 self-attention at 64x64 latent: 4096 tokens, 320 channels, 8 heads",
            threads = TorchRuntime.Threads,
            default_block_bound_mib = saved >> 20,
            results = rows,
        };
    }
}
