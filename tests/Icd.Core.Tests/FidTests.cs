using System.Text.Json;
using Icd.Metrics.Fid;
using Icd.Torch;

namespace Icd.Tests;

/// <summary>FID's statistics and Fréchet distance against upstream pytorch-fid's own numbers
/// (<c>tests/tools/make_fid_reference.py</c>: its <c>calculate_activation_statistics</c> on fixed
/// features, its <c>calculate_frechet_distance</c>, statistics written by <c>np.savez_compressed</c>).</summary>
public class FidTests
{
    private static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "fid", name);

    private static JsonElement Expected => JsonDocument.Parse(File.ReadAllText(Data("expected.json"))).RootElement;

    private static FidStatistics FromNpy(string name) => FidStatistics.FromFeatureFile(Data(name));

    [Fact]
    public void StatisticsAreNumpysMeanAndCovariance()
    {
        var mine = FromNpy("a_features.npy");
        var upstream = FidStatistics.Load(Data("a_stats.npz"));
        Assert.Equal(12, upstream.Dims);
        Assert.Equal(Expected.GetProperty("mu_a_0").GetDouble(), upstream.Mu[0]);
        Assert.Equal(Expected.GetProperty("sigma_a_0_1").GetDouble(), upstream.Sigma[1]);
        for (int i = 0; i < upstream.Mu.Length; i++) Assert.Equal(upstream.Mu[i], mine.Mu[i], 1e-12);
        for (int i = 0; i < upstream.Sigma.Length; i++) Assert.Equal(upstream.Sigma[i], mine.Sigma[i], 1e-12);
    }

    /// <summary>Full-rank covariances (400 and 300 samples of 12 dimensions): pytorch-fid's 19.482…,
    /// from its own .npz files and from icd's statistics of the same features.</summary>
    [Fact]
    public void DistanceMatchesPytorchFid()
    {
        double expected = Expected.GetProperty("fid_a_b").GetDouble();
        Assert.Equal(expected, FrechetDistance.Compute(FidStatistics.Load(Data("a_stats.npz")), FidStatistics.Load(Data("b_stats.npz"))), 1e-9);
        Assert.Equal(expected, FrechetDistance.Compute(FromNpy("a_features.npy"), FromNpy("b_features.npy")), 1e-9);
        var a = FidStatistics.Load(Data("a_stats.npz"));
        Assert.Equal(0, FrechetDistance.Compute(a, a), 1e-9);
    }

    /// <summary>8 and 9 samples of 12 dimensions: singular covariances, where pytorch-fid's sqrtm of
    /// Σ₁Σ₂ is ill-conditioned; the eigenvalue form measured 1e-8 relative from it (bound 1e-4).</summary>
    [Fact]
    public void SingularCovariancesStayCloseToPytorchFid()
    {
        double expected = Expected.GetProperty("fid_c_d").GetDouble();
        double actual = FrechetDistance.Compute(FromNpy("c_features.npy"), FromNpy("d_features.npy"));
        Assert.True(Math.Abs(actual - expected) <= 1e-4 * expected, $"icd {actual}, pytorch-fid {expected}");
    }

    [Fact]
    public void SavedStatisticsRoundTripAndBadFilesAreNamed()
    {
        using var dir = new TempDir();
        var a = FidStatistics.Load(Data("a_stats.npz"));
        a.Save(dir.File("a.npz"));
        var back = FidStatistics.Load(dir.File("a.npz"));
        Assert.Equal(a.Mu, back.Mu);
        Assert.Equal(a.Sigma, back.Sigma);
        File.WriteAllText(dir.File("bad.npz"), "not a zip");
        var e = Assert.Throws<InvalidDataException>(() => FidStatistics.Load(dir.File("bad.npz")));
        Assert.Contains("bad.npz", e.Message);
        var missing = Assert.Throws<FileNotFoundException>(() => FidStatistics.Load(dir.File("none.npz")));
        Assert.Contains("none.npz", missing.Message);
        var b = new FidStatistics([0, 0], [1, 0, 0, 1]);
        Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(a, b));
    }
}
