using Icd.Sampling;
using Icd.Torch;

namespace Icd.Training;

/// <summary>The losses of the two papers, as pure functions of tensors.</summary>
public static class Losses
{
    /// <summary>iCD's "huber" loss (a pseudo-Huber): mean(√((a − b)² + c²) − c), elementwise
    /// over the latent; c = 0.001 in the reference scripts.</summary>
    public static Tensor PseudoHuber(Tensor prediction, Tensor target, double c = 0.001)
    {
        using var scope = new TensorScope();
        var d = prediction - target;
        return ((d * d + c * c).Sqrt() - c).Mean().MoveToOuterScope();
    }

    public static Tensor Mse(Tensor prediction, Tensor target) => Functional.MseLoss(prediction, target);

    /// <summary>PSNR in dB of a mean squared error between images in [−1, 1] (peak-to-peak 2).</summary>
    public static double Psnr(double mse) => 10 * Math.Log10(4 / Math.Max(mse, 1e-12));

    /// <summary>Min-SNR-γ weighting of an ε-prediction loss (Hang et al. 2023; diffusers'
    /// <c>--snr_gamma</c>): per sample min(SNR_t, γ)/SNR_t with SNR_t = ᾱ_t/(1 − ᾱ_t). It lowers the
    /// weight of the nearly clean timesteps, whose large, easy ε-errors otherwise dominate the
    /// gradient, so training spends more of it where the caption decides the image.</summary>
    public static double[] MinSnrWeights(NoiseSchedule schedule, IReadOnlyList<long> t, double gamma)
    {
        CheckSnrGamma(gamma, nameof(gamma));
        return t.Select(ti =>
        {
            double alphaBar = schedule.AlphaBar(ti), snr = alphaBar / (1 - alphaBar);
            return Math.Min(snr, gamma) / snr;
        }).ToArray();
    }

    /// <summary>The one rule for a Min-SNR γ (null means plain MSE): it must be &gt; 0.</summary>
    public static double? CheckSnrGamma(double? gamma, string name) =>
        gamma is null or > 0 ? gamma : throw new ArgumentOutOfRangeException(name, gamma, "must be > 0 (null: plain MSE)");

    /// <summary>mean_b(w_b · mean over the rest of (a − b)²): a per-sample weighted MSE.</summary>
    public static Tensor WeightedMse(Tensor prediction, Tensor target, IReadOnlyList<double> weights)
    {
        if (prediction.Shape.Length < 2) throw new ArgumentException($"needs a batch dimension and at least one more, got shape [{string.Join(", ", prediction.Shape)}]", nameof(prediction));
        if (weights.Count != prediction.Size(0)) throw new ArgumentException($"{weights.Count} weights for a batch of {prediction.Size(0)}", nameof(weights));
        using var scope = new TensorScope();
        var d = prediction - target;
        var dims = Enumerable.Range(1, prediction.Shape.Length - 1).Select(i => (long)i).ToArray();
        var perSample = (d * d).Mean(dims);
        using var w = Tensor.FromArray(weights.ToArray()).To(perSample.DType);
        return (perSample * w).Mean().MoveToOuterScope();
    }

    /// <summary>Σ w·(a − b)² / Σ w over every element, with per-pixel weights <paramref name="weights"/>
    /// (B, 1, H, W) broadcast over the channels of (B, C, H, W) images: a weighted mean of the squared
    /// error, equal to <see cref="Mse"/> when every weight is the same.</summary>
    public static Tensor PixelWeightedMse(Tensor prediction, Tensor target, Tensor weights)
    {
        var shape = prediction.Shape;
        if (shape.Length != 4) throw new ArgumentException($"needs (B, C, H, W) images, got shape [{string.Join(", ", shape)}]", nameof(prediction));
        if (weights.Shape is not [var b, 1, var h, var w] || b != shape[0] || h != shape[2] || w != shape[3])
            throw new ArgumentException($"needs weights of shape [{shape[0]}, 1, {shape[2]}, {shape[3]}], got [{string.Join(", ", weights.Shape)}]", nameof(weights));
        using var scope = new TensorScope();
        var d = prediction - target;
        return ((d * d * weights).Mean() / weights.Mean()).MoveToOuterScope();
    }
}
