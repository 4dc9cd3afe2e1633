using Icd.Torch;

namespace Icd.Training;

/// <summary>
/// The noise ε of the teacher's training pairs x_t = √ᾱ_t·z0 + √(1−ᾱ_t)·ε. White by default. With
/// a <see cref="PyramidDiscount"/> d &gt; 0 it is multi-resolution ("pyramid") noise: white noise plus
/// white noise drawn at 1/2, 1/4, … of the latent size (while both sides are ≥ 1; 1×1 for square
/// power-of-two latents), nearest-upsampled and weighted d, d², …, then divided by √(Σ d^{2i}) so
/// every element keeps unit variance.
/// <para>Why: SD's schedule ends at ᾱ_T = 0.0047, so the mean of k latent pixels still carries the
/// image at SNR k·SNR_t (1.2 for a whole 16×16 latent at t = 999, 0.4 for a 4×4 object at t = 850). A teacher
/// trained on white noise learns to read the background's and the objects' colours from that
/// low-frequency leak instead of from the caption, and then ignores colour words when generating or
/// editing. Low-frequency noise hides the leak, so the colour has to come from the text. The coarsest
/// level (1×1) is the "offset noise" of the diffusers training scripts.</para>
/// Students distilled on it are inverted with it too (<c>IcdModel.InversionNoise</c>, manifest
/// <c>pyramid_noise</c>); the distillation noise need not be the teacher's, and generation starts
/// from the teacher's (<c>IcdModel.GenerationNoise</c>, manifest <c>generation_noise</c>).
/// </summary>
public sealed record TrainingNoise(double PyramidDiscount = 0)
{
    public static TrainingNoise White { get; } = new();

    public TrainingNoise Validate()
    {
        if (!(PyramidDiscount >= 0 && PyramidDiscount < 1))
            throw new ArgumentOutOfRangeException(nameof(PyramidDiscount), PyramidDiscount, "must be in [0, 1) (0: white noise)");
        return this;
    }

    /// <summary>ε of an NCHW shape (pyramid noise is drawn in fp32 on the CPU, then converted).</summary>
    public Tensor Sample(long[] shape, Generator generator, DType dtype = DType.Float32, Device? device = null)
    {
        if (PyramidDiscount == 0) return Tensor.Randn(shape, generator, dtype, device);
        if (shape.Length != 4) throw new ArgumentException($"pyramid noise needs an NCHW shape, got [{string.Join(", ", shape)}]", nameof(shape));
        var eps = Tensor.Randn(shape, generator);
        using var scope = new TensorScope();
        long height = shape[2], width = shape[3];
        double weight = 1, variance = 1;
        for (long h = height / 2, w = width / 2; h >= 1 && w >= 1; h /= 2, w /= 2)
        {
            weight *= PyramidDiscount;
            variance += weight * weight;
            var coarse = Tensor.Randn([shape[0], shape[1], h, w], generator);
            eps = eps + Functional.Interpolate(coarse, height, width, InterpolationMode.Nearest) * weight;
        }
        var noise = (eps / Math.Sqrt(variance)).To(dtype);
        return (device is { } d ? noise.To(d) : noise).MoveToOuterScope();
    }
}
