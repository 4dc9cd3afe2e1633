using Icd.Torch;

namespace Icd.Editing.Guidance;

/// <summary>
/// One energy term of Guide-and-Rescale guidance. Three passes are recorded per step:
/// "inv" (the cached inversion latent with the source prompt, no grad), "cur_src" (the current
/// latent with the source prompt) and "cur_trg" (the current latent with the target prompt).
/// A guider says what it needs recorded and returns its unweighted energy; each guider is a file.
/// </summary>
public enum GuidedBranch
{
    CurrentSource,
    CurrentTarget,
}

public interface IGuider
{
    string Name { get; }

    /// <summary>Weight g[i] at reverse step i; 0 skips the term.</summary>
    double WeightAt(int step);

    /// <summary>Module outputs to capture (e.g. up_blocks.1.resnets.1).</summary>
    IReadOnlyList<string> Features { get; }

    bool NeedsSelfAttention { get; }

    /// <summary>The pass whose recording the energy differentiates: the current latent with the
    /// source prompt (self-attention) or with the target prompt (features).</summary>
    GuidedBranch Branch { get; }

    Tensor Energy(GuidanceRecords inversion, GuidanceRecords currentSource, GuidanceRecords currentTarget);
}

/// <summary>GaR's <c>features_map_l2</c>: mean((F_cur_trg − F_inv)²) on a module output
/// (IaE: <c>up_blocks.1.resnets.1</c>, 1280×16×16 for SD1.5 at 512²).</summary>
public sealed class FeatureGuider(IReadOnlyList<double> weights, string module = "up_blocks.1.resnets.1") : IGuider
{
    public string Name => "features_map_l2";
    public double WeightAt(int step) => weights[Math.Min(step, weights.Count - 1)];
    public IReadOnlyList<string> Features { get; } = [module];
    public bool NeedsSelfAttention => false;
    public GuidedBranch Branch => GuidedBranch.CurrentTarget;

    public Tensor Energy(GuidanceRecords inversion, GuidanceRecords currentSource, GuidanceRecords currentTarget) =>
        Energies.Mse(currentTarget.Features[Features[0]], inversion.Features[Features[0]]);
}

/// <summary>Energies in float32 whatever the UNet computes in (libtorch's CPU mse has no bfloat16
/// kernel, and float32 sums are the better energy anyway).</summary>
internal static class Energies
{
    public static Tensor Mse(Tensor current, Tensor recorded)
    {
        if (!IsHalf(current.DType) && !IsHalf(recorded.DType)) return Functional.MseLoss(current, recorded);
        using var a = current.To(DType.Float32);
        using var b = recorded.To(DType.Float32);
        return Functional.MseLoss(a, b);
    }

    private static bool IsHalf(DType dtype) => dtype is DType.BFloat16 or DType.Float16;
}

/// <summary>GaR's <c>self_attn_map_l2</c>: Σ over all self-attention layers of
/// mean((A_cur_src − A_inv)²), on post-softmax probabilities.</summary>
public sealed class SelfAttentionGuider(IReadOnlyList<double> weights) : IGuider
{
    public string Name => "self_attn_map_l2";
    public double WeightAt(int step) => weights[Math.Min(step, weights.Count - 1)];
    public IReadOnlyList<string> Features { get; } = [];
    public bool NeedsSelfAttention => true;
    public GuidedBranch Branch => GuidedBranch.CurrentSource;

    public Tensor Energy(GuidanceRecords inversion, GuidanceRecords currentSource, GuidanceRecords currentTarget)
    {
        if (inversion.SelfAttention.Count != currentSource.SelfAttention.Count || inversion.SelfAttention.Count == 0)
            throw new InvalidOperationException($"self-attention records differ: {inversion.SelfAttention.Count} vs {currentSource.SelfAttention.Count} layers");
        Tensor? total = null;
        for (int l = 0; l < inversion.SelfAttention.Count; l++)
        {
            var term = Energies.Mse(currentSource.SelfAttention[l], inversion.SelfAttention[l]);
            if (total is null)
            {
                total = term;
            }
            else
            {
                var sum = total + term;
                total.Dispose();
                term.Dispose();
                total = sum;
            }
        }
        return total!;
    }
}
