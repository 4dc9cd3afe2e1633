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
}
