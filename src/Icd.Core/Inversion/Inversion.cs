using Icd.Denoising;
using Icd.Sampling;
using Icd.Torch;

namespace Icd.Inversion;

/// <summary>The encoding of an image into noise: z_T and every intermediate latent (for
/// Inverse-and-Edit guidance, METHOD C2), with the timestep of each.</summary>
public sealed class InversionTrajectory : IDisposable
{
    public InversionTrajectory(IReadOnlyList<Tensor> latents, IReadOnlyList<long> timesteps, Tensor z0)
    {
        Latents = latents;
        Timesteps = timesteps;
        Z0 = z0;
    }

    /// <summary>[x_start, …, x_999]: the latent at each forward boundary.</summary>
    public IReadOnlyList<Tensor> Latents { get; }
    public IReadOnlyList<long> Timesteps { get; }

    /// <summary>The clean latent (VAE mean × scaling factor).</summary>
    public Tensor Z0 { get; }

    public Tensor Final => Latents[^1];

    /// <summary>The cached latent at timestep <paramref name="t"/>.</summary>
    public Tensor At(long t)
    {
        int i = Timesteps.ToList().IndexOf(t);
        return i >= 0 ? Latents[i] : throw new KeyNotFoundException($"the inversion has no latent at t = {t} (it has {string.Join(", ", Timesteps)})");
    }

    public void Dispose()
    {
        foreach (var l in Latents) l.Dispose();
        Z0.Dispose();
    }
}

/// <summary>
/// iCD inversion (METHOD B4): x_start = α·z0 + σ·ε0 with ε0 from the seeded CPU generator
/// (a slightly noised latent at t = 19 for iCD; t = 0 for Inverse-and-Edit), then the forward
/// model's jumps with the source prompt and w = 0: one NFE per forward segment. ε0 is white unless
/// the students were distilled on other noise (<paramref name="startNoise"/> of <c>Encode</c>, the model's
/// <c>InversionNoise</c>): the students never saw white noise at t = 19 then.
/// </summary>
public static class ForwardEncoder
{
    public static InversionTrajectory Encode(Denoiser forward, NoiseSchedule schedule, Tensor z0, TextConditioning text,
        IReadOnlyList<StepPair> steps, ulong seed, Action<int>? onStep = null, Training.TrainingNoise? startNoise = null)
    {
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        using var gen = new Generator(seed);
        var noise = (startNoise ?? Training.TrainingNoise.White).Sample(z0.Shape, gen, z0.DType, z0.Device);
        var x = schedule.AddNoise(z0, noise, steps[0].T);
        var latents = new List<Tensor> { x.Share().DetachFromScope() };
        var timesteps = new List<long> { steps[0].T };
        var w = new double[z0.Size(0)];
        for (int i = 0; i < steps.Count; i++)
        {
            var (t, s) = steps[i];
            using var eps = forward.Epsilon(x, t, text, w);
            using var jump = ConsistencyJump.Apply(schedule, x, eps, t, s);
            x = jump.Previous.Share();
            FiniteLatent.Check(x, "inversion", i, s);
            latents.Add(x.Share().DetachFromScope());
            timesteps.Add(s);
            onStep?.Invoke(i);
        }
        return new InversionTrajectory(latents, timesteps, z0.Share().DetachFromScope());
    }
}
