using Icd.Torch;

namespace Icd.Metrics.Fid;

/// <summary>The Fréchet distance between two Gaussians, FID's formula:
/// ‖μ₁ − μ₂‖² + Tr(Σ₁) + Tr(Σ₂) − 2·Tr((Σ₁Σ₂)^½), in float64.</summary>
public static class FrechetDistance
{
    /// <summary>Tr((Σ₁Σ₂)^½) as the sum of the square roots of the eigenvalues of the symmetric
    /// Σ₁^½ Σ₂ Σ₁^½, which has the eigenvalues of Σ₁Σ₂ (both covariances are symmetric positive
    /// semi-definite). pytorch-fid takes scipy's general <c>sqrtm</c> of Σ₁Σ₂ and its trace; on full-rank
    /// covariances the two agree to rounding (tested against it), and with fewer samples than
    /// dimensions this form stays real and finite where <c>sqrtm</c> needs its 1e-6 diagonal offset.</summary>
    public static double Compute(FidStatistics a, FidStatistics b)
    {
        if (a.Dims != b.Dims) throw new ArgumentException($"FID statistics of {a.Dims} and {b.Dims} dimensions cannot be compared (pytorch-fid's Inception pool features have 2048)");
        using var scope = new TensorScope();
        long d = a.Dims;
        var mu1 = Tensor.FromValues(a.Mu, d);
        var mu2 = Tensor.FromValues(b.Mu, d);
        var s1 = Tensor.FromValues(a.Sigma, d, d);
        var s2 = Tensor.FromValues(b.Sigma, d, d);
        var diff = mu1 - mu2;
        var (l1, v1) = s1.LinalgEigh();
        var root1 = (v1 * l1.Clamp(min: 0).Sqrt().Unsqueeze(0)).Mm(v1.T());
        var inner = root1.Mm(s2).Mm(root1);
        inner = (inner + inner.T()) * 0.5; // symmetric in exact arithmetic; make it so in floating point
        var (l, _) = inner.LinalgEigh();
        double trSqrt = l.Clamp(min: 0).Sqrt().Sum().Item();
        double trace1 = a.Sigma.Where((_, i) => i % (d + 1) == 0).Sum();
        double trace2 = b.Sigma.Where((_, i) => i % (d + 1) == 0).Sum();
        return (diff * diff).Sum().Item() + trace1 + trace2 - 2 * trSqrt;
    }
}
