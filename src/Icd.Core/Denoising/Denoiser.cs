using Icd.Lora;
using Icd.Torch;

namespace Icd.Denoising;

/// <summary>
/// ε(x, t, text, w) of one UNet configuration: the shared base UNet with a named LoRA adapter
/// active (iCD's "forward" or "reverse" student, or none for the teacher). For guidance-distilled
/// UNets w enters through the guidance embedding (a single pass, METHOD A2); for a plain UNet w ≠ 0
/// is classical CFG with scale w + 1 (two passes), so both kinds of teacher work.
/// </summary>
public sealed class Denoiser(UNet2DConditionModel unet, string? adapter, TextConditioning? unconditional = null)
{
    public UNet2DConditionModel UNet { get; } = unet;
    public string? Adapter { get; } = adapter;

    /// <summary>Number of UNet calls made so far (a batched call counts once).</summary>
    public int Calls { get; private set; }

    public bool IsGuidanceDistilled => UNet.Config.TimeCondProjDim is not null;

    /// <param name="w">Embedded guidance scale per batch element (classical scale − 1).</param>
    public Tensor Epsilon(Tensor sample, long t, TextConditioning text, IReadOnlyList<double> w)
    {
        if (w.Count != sample.Size(0)) throw new ArgumentException($"{w.Count} guidance values for a batch of {sample.Size(0)}", nameof(w));
        UNetLora.Activate(UNet, Adapter);
        if (IsGuidanceDistilled)
        {
            using var cond = Embeddings.GuidanceScale(w.ToArray(), UNet.Config.TimeCondProjDim!.Value);
            Calls++;
            return UNet.Forward(sample, t, text.States, cond, text.Added);
        }
        Calls++;
        var conditional = UNet.Forward(sample, t, text.States, null, text.Added);
        if (w.All(v => v == 0)) return conditional;
        if (unconditional is null) throw new InvalidOperationException("classical CFG needs the unconditional text embedding");
        using var scope = new TensorScope();
        Tensor uncond;
        using (UNet.SuspendController())
        {
            var u = unconditional.Expand(sample.Size(0));
            uncond = UNet.Forward(sample, t, u.States, null, u.Added);
        }
        Calls++;
        using var scales = Tensor.FromArray(w.Select(v => (float)(v + 1)).ToArray()).View(-1, 1, 1, 1);
        return (uncond + (conditional - uncond) * scales).MoveToOuterScope(); // ε_u + s(ε_c − ε_u)
    }
}
