using Icd.Torch;
using Icd.Training;

namespace Icd.Tests;

/// <summary>Multi-resolution training noise against its hand-computed covariance: unit variance,
/// and a correlation between two latent pixels of Σ d^{2i} over the pyramid levels whose blocks
/// hold both, divided by Σ d^{2i} over all levels.</summary>
public class TrainingNoiseTests
{
    // 16×16 latents: levels 16, 8, 4, 2, 1 with weights 1, d, d², d³, d⁴; d = 0.8.
    private const double D = 0.8;
    private static readonly double Variance = 1 + Math.Pow(D, 2) + Math.Pow(D, 4) + Math.Pow(D, 6) + Math.Pow(D, 8); // 2.47951616

    [Fact]
    public void WhiteNoiseIsPlainRandn()
    {
        using var scope = new TensorScope();
        using var a = new Generator(7);
        using var b = new Generator(7);
        var white = TrainingNoise.White.Sample([2, 4, 16, 16], a).ToArray<float>();
        var randn = Tensor.Randn([2, 4, 16, 16], b).ToArray<float>();
        Assert.Equal(randn, white);
    }

    [Theory]
    [InlineData(0, 1, 1.47951616 / 2.47951616)] // same 2×2 block: every coarse level shared
    [InlineData(1, 2, 0.83951616 / 2.47951616)] // same 4×4 block, different 2×2 blocks: d⁴ + d⁶ + d⁸
    [InlineData(7, 8, 0.16777216 / 2.47951616)] // opposite halves: only the 1×1 level (offset noise)
    public void PyramidNoiseHasUnitVarianceAndTheBlockCorrelations(int x1, int x2, double expected)
    {
        Assert.Equal(2.47951616, Variance, 8);
        using var scope = new TensorScope();
        using var g = new Generator(11);
        const int n = 4000;
        var eps = new TrainingNoise(D).Sample([n, 1, 16, 16], g).ToArray<float>();
        double sum = 0, sumSq = 0, cross = 0;
        int pairs = 0;
        for (int i = 0; i < n; i++)
            for (int y = 0; y < 16; y++)
            {
                double a = eps[i * 256 + y * 16 + x1], b = eps[i * 256 + y * 16 + x2];
                sum += a; sumSq += a * a; cross += a * b; pairs++;
            }
        Assert.Equal(0, sum / pairs, 0.03);
        Assert.Equal(1, sumSq / pairs, 0.03);
        Assert.Equal(expected, cross / pairs, 0.02);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void DiscountOutsideTheUnitIntervalIsRefused(double d)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingNoise(d).Validate());
        Assert.Contains("PyramidDiscount", e.Message);
    }
}
