using System.IO.Compression;
using Icd.Imaging;
using Icd.Torch;

namespace Icd.Metrics.Fid;

/// <summary>The Gaussian FID compares: the mean and covariance of a set's feature vectors, in float64,
/// as pytorch-fid computes them (<c>np.mean(act, axis=0)</c>, <c>np.cov(act, rowvar=False)</c>, i.e.
/// N − 1 in the denominator) and stores them (<c>.npz</c> with arrays <c>mu</c> and <c>sigma</c>), so
/// iCD's <c>fid_stats_mscoco256_val.npz</c> / <c>…512_val.npz</c> load as they are.</summary>
public sealed class FidStatistics
{
    public FidStatistics(double[] mu, double[] sigma)
    {
        if (sigma.LongLength != (long)mu.Length * mu.Length)
            throw new ArgumentException($"a covariance of {sigma.Length} values does not fit a mean of {mu.Length} dimensions", nameof(sigma));
        Mu = mu;
        Sigma = sigma;
    }

    public double[] Mu { get; }

    /// <summary>d × d, row-major.</summary>
    public double[] Sigma { get; }

    public int Dims => Mu.Length;

    /// <summary>Mean and covariance of <paramref name="features"/> (N × d, N ≥ 2), computed in float64.</summary>
    public static FidStatistics FromFeatures(Tensor features)
    {
        if (features.Dim != 2 || features.Size(0) < 2)
            throw new ArgumentException($"FID statistics need at least 2 feature vectors as an N × d matrix, got {features.Describe()}", nameof(features));
        using var scope = new TensorScope();
        var x = features.To(DType.Float64);
        var mean = x.Mean(0, keepDim: true);
        var centred = x - mean;
        var cov = centred.T().Mm(centred) / (x.Size(0) - 1);
        return new FidStatistics(mean.Reshape(-1).ToArray<double>(), cov.Reshape(-1).ToArray<double>());
    }

    /// <summary>Statistics of a feature matrix saved as <c>.npy</c> (N × d).</summary>
    public static FidStatistics FromFeatureFile(string npyPath)
    {
        if (!File.Exists(npyPath)) throw new FileNotFoundException($"features not found: {npyPath}", npyPath);
        NpyArray array;
        using (var stream = File.OpenRead(npyPath)) array = NpyArray.Read(stream, npyPath);
        if (array.Shape.Length != 2) throw new InvalidDataException($"{npyPath}: features must be an N × d matrix, not [{string.Join(", ", array.Shape)}]");
        using var scope = new TensorScope();
        return FromFeatures(Tensor.FromValues(array.Data, array.Shape));
    }

    public static FidStatistics Load(string npzPath)
    {
        if (!File.Exists(npzPath)) throw new FileNotFoundException($"FID statistics not found: {npzPath}", npzPath);
        try
        {
            using var zip = ZipFile.OpenRead(npzPath);
            NpyArray Array(string key)
            {
                var entry = zip.GetEntry(key + ".npy") ?? throw new InvalidDataException($"{npzPath}: no array '{key}' (pytorch-fid statistics hold 'mu' and 'sigma'; found {string.Join(", ", zip.Entries.Select(e => e.FullName))})");
                using var stream = entry.Open();
                return NpyArray.Read(stream, $"{npzPath}:{key}");
            }
            var mu = Array("mu");
            var sigma = Array("sigma");
            if (mu.Shape.Length != 1 || sigma.Shape.Length != 2 || sigma.Shape[0] != mu.Shape[0] || sigma.Shape[1] != mu.Shape[0])
                throw new InvalidDataException($"{npzPath}: mu [{string.Join(", ", mu.Shape)}] and sigma [{string.Join(", ", sigma.Shape)}] are not a d-vector and a d × d matrix");
            if (!mu.Data.All(double.IsFinite) || !sigma.Data.All(double.IsFinite))
                throw new InvalidDataException($"{npzPath}: the statistics hold NaN or infinite values");
            return new FidStatistics(mu.Data, sigma.Data);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(npzPath, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{npzPath}: not a .npz archive ({e.Message})", e);
        }
    }

    /// <summary>Writes <c>mu</c> and <c>sigma</c> as <c>np.savez_compressed</c> does (written whole, then renamed).</summary>
    public void Save(string npzPath)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (key, array) in new[] { ("mu", new NpyArray([Dims], Mu)), ("sigma", new NpyArray([Dims, Dims], Sigma)) })
            {
                using var stream = zip.CreateEntry(key + ".npy", CompressionLevel.Optimal).Open();
                array.Write(stream);
            }
        }
        AtomicFile.WriteAllBytes(npzPath, buffer.ToArray());
    }
}
