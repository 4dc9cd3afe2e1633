using Icd.Blocks;
using Icd.Torch;

namespace Icd.Editing.Guidance;

/// <summary>What one UNet pass recorded for the guiders: self-attention probabilities per layer
/// (in forward order) and captured module outputs, for one batch row. Autograd graphs are kept.</summary>
public sealed class GuidanceRecords : IDisposable
{
    public List<Tensor> SelfAttention { get; } = new();
    public Dictionary<string, Tensor> Features { get; } = new(StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (var t in SelfAttention) t.Dispose();
        foreach (var t in Features.Values) t.Dispose();
    }
}

/// <summary>Records the self-attention probabilities of every layer for one batch row
/// (GaR's self_attn_map_l2 patches all 16 SD1.5 self-attention layers, 64² included).</summary>
public sealed class SelfAttentionRecorder(GuidanceRecords into, int row) : IAttentionController
{
    public void BeginStep(int step)
    {
    }

    public Tensor Process(AttentionSite site, Tensor probabilities)
    {
        if (site.Kind == AttentionKind.Self)
            into.SelfAttention.Add(probabilities.Narrow(0, row, 1).DetachFromScope());
        return probabilities;
    }

    public void EndStep()
    {
    }
}
