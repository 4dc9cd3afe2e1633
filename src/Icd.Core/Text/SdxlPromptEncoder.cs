using Icd.Torch;

namespace Icd.Text;

/// <summary>SDXL's prompt conditioning: the UNet's token states (B, 77, D₁ + D₂) and the pooled,
/// projected embedding of the second encoder (B, P) that goes into its added conditions.</summary>
public sealed record SdxlPromptEmbeds(Tensor PromptEmbeds, Tensor PooledPromptEmbeds) : IDisposable
{
    public void Dispose()
    {
        PromptEmbeds.Dispose();
        PooledPromptEmbeds.Dispose();
    }
}

/// <summary>
/// diffusers' <c>StableDiffusionXLPipeline.encode_prompt</c> (METHOD A3; reference README 4.9): each
/// prompt through both tokenizers and encoders; the token states are the two encoders'
/// <i>penultimate</i> hidden states side by side (<c>text_encoder</c>'s first), the pooled embedding
/// is <c>text_encoder_2</c>'s <c>text_embeds</c>. With <c>force_zeros_for_empty_prompt</c>, an
/// absent negative prompt is all zeros rather than the encoded empty string.
/// </summary>
public sealed class SdxlPromptEncoder(ClipTokenizer tokenizer, ClipTextModel textEncoder, ClipTokenizer tokenizer2,
    ClipTextModelWithProjection textEncoder2, bool forceZerosForEmptyPrompt)
{
    public bool ForceZerosForEmptyPrompt => forceZerosForEmptyPrompt;

    /// <summary>Encodes <paramref name="prompts"/> (and <paramref name="prompts2"/> for the second
    /// encoder; default: the same).</summary>
    public SdxlPromptEmbeds Encode(IReadOnlyList<string> prompts, IReadOnlyList<string>? prompts2 = null)
    {
        prompts2 ??= prompts;
        if (prompts2.Count != prompts.Count)
            throw new ArgumentException($"prompt_2 has {prompts2.Count} prompts, prompt {prompts.Count}", nameof(prompts2));
        using var scope = new TensorScope();
        var ids1 = Tensor.FromValues(tokenizer.Encode(prompts), prompts.Count, ClipTokenizer.MaxLength);
        var ids2 = Tensor.FromValues(tokenizer2.Encode(prompts2), prompts2.Count, ClipTokenizer.MaxLength);
        var states1 = textEncoder.ForwardStates(ids1);
        var (states2, pooled) = textEncoder2.Forward(ids2);
        var embeds = Tensor.Cat([states1.PenultimateHiddenState, states2.PenultimateHiddenState], -1);
        return new SdxlPromptEmbeds(embeds.MoveToOuterScope(), pooled.MoveToOuterScope());
    }

    /// <summary>The unconditional row: zeros when the model forces them and no negative prompt is
    /// given, else the encoded negative prompt (<c>""</c> when none is given).</summary>
    public SdxlPromptEmbeds EncodeNegative(int batch, IReadOnlyList<string>? negative = null, IReadOnlyList<string>? negative2 = null)
    {
        if (negative is null && forceZerosForEmptyPrompt)
        {
            long width = textEncoder.Config.HiddenSize + textEncoder2.Config.HiddenSize;
            return new SdxlPromptEmbeds(Tensor.Zeros([batch, ClipTokenizer.MaxLength, width]), Tensor.Zeros([batch, textEncoder2.Config.ProjectionDim]));
        }
        negative ??= Enumerable.Repeat("", batch).ToArray();
        if (negative.Count != batch) throw new ArgumentException($"{negative.Count} negative prompts for {batch} prompts", nameof(negative));
        return Encode(negative, negative2);
    }
}
