using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Denoising;

/// <summary>Sinusoidal embeddings of the timestep and of the guidance scale.</summary>
public static class Embeddings
{
    /// <summary>
    /// diffusers' get_timestep_embedding: for i = 0..d/2−1, f_i = exp(−ln(10000)·i/(d/2 − shift)),
    /// emb = [sin(t·f), cos(t·f)], or [cos, sin] with <paramref name="flipSinToCos"/> (SD: true,
    /// shift 0). Timesteps (B) of any dtype; the result is float32 (B, d).
    /// </summary>
    public static Tensor Timestep(Tensor timesteps, long dim, bool flipSinToCos, double freqShift)
    {
        using var scope = new TensorScope();
        long half = dim / 2;
        var exponent = Tensor.Arange(0, half, 1, DType.Float32, timesteps.Device) * (-Math.Log(10000) / (half - freqShift));
        var args = timesteps.To(DType.Float32).Unsqueeze(1) * exponent.Exp().Unsqueeze(0);   // (B, half)
        var emb = flipSinToCos ? Tensor.Cat([args.Cos(), args.Sin()], -1) : Tensor.Cat([args.Sin(), args.Cos()], -1);
        if (dim % 2 == 1) emb = emb.Pad([0, 1]);
        return emb.MoveToOuterScope();
    }

    /// <summary>
    /// The guidance-scale embedding of guidance-distilled models (iCD/LCM <c>guidance_scale_embedding</c>,
    /// METHOD A2): a = 1000·w, f_k = exp(−k·ln(10000)/(d/2 − 1)), emb = [sin(a·f), cos(a·f)]
    /// (sine half first). w is the embedded scale (classical CFG scale − 1); w = 0 gives
    /// [0…0, 1…1], not a zero vector.
    /// </summary>
    public static Tensor GuidanceScale(Tensor w, long dim)
    {
        using var scope = new TensorScope();
        long half = dim / 2;
        var freqs = (Tensor.Arange(0, half, 1, DType.Float32, w.Device) * (-Math.Log(10000.0) / (half - 1))).Exp();
        var args = (w.To(DType.Float32) * 1000.0).Unsqueeze(1) * freqs.Unsqueeze(0);
        var emb = Tensor.Cat([args.Sin(), args.Cos()], 1);
        if (dim % 2 == 1) emb = emb.Pad([0, 1]);
        return emb.MoveToOuterScope();
    }

    /// <summary><see cref="GuidanceScale(Tensor, long)"/> for one w per batch element.</summary>
    public static Tensor GuidanceScale(double[] w, long dim)
    {
        using var values = Tensor.FromArray(w);
        return GuidanceScale(values, dim);
    }
}

/// <summary>diffusers' TimestepEmbedding: linear_1 → SiLU → linear_2, with the guidance
/// embedding projected by <c>cond_proj</c> (no bias) and added before linear_1.</summary>
public sealed class TimestepEmbedding : Module
{
    private readonly Linear _linear1, _linear2;
    private readonly Linear? _condProj;

    public TimestepEmbedding(long inChannels, long embedDim, long? condProjDim)
    {
        _linear1 = Child("linear_1", new Linear(inChannels, embedDim));
        _linear2 = Child("linear_2", new Linear(embedDim, embedDim));
        if (condProjDim is not null) _condProj = Child("cond_proj", new Linear(condProjDim.Value, inChannels, bias: false));
    }

    public bool HasCondProj => _condProj is not null;

    public Tensor Forward(Tensor sample, Tensor? condition)
    {
        using var scope = new TensorScope();
        if (condition is not null)
        {
            if (_condProj is null) throw new ArgumentException("timestep_cond given, but the UNet has no time_cond_proj_dim", nameof(condition));
            sample = sample + _condProj.Forward(condition);
        }
        return _linear2.Forward(_linear1.Forward(sample).Silu()).MoveToOuterScope();
    }
}
