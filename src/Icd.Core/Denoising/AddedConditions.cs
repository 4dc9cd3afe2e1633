using Icd.Torch;

namespace Icd.Denoising;

/// <summary>
/// SDXL's added conditions (<c>addition_embed_type: "text_time"</c>; METHOD A3): the pooled,
/// projected text embedding of <c>text_encoder_2</c> (B, P) and the micro-conditioning time ids
/// (B, 6) = [original h, w, crop top, left, target h, w]. The UNet embeds each id like a timestep
/// (<c>addition_time_embed_dim</c> wide), appends them to the text embedding and adds
/// <c>add_embedding</c> of that to the time embedding.
/// </summary>
public sealed record AddedConditions(Tensor TextEmbeds, Tensor TimeIds)
{
    /// <summary>diffusers' <c>_get_add_time_ids</c>: the three pairs in order, height before width,
    /// as a (1, 6) float32 row. iCD-XL uses (1024, 1024), (0, 0), (1024, 1024).</summary>
    public static Tensor TimeIdsOf((int Height, int Width) originalSize, (int Top, int Left) cropTopLeft, (int Height, int Width) targetSize) =>
        Tensor.FromValues(new float[]
        {
            originalSize.Height, originalSize.Width, cropTopLeft.Top, cropTopLeft.Left, targetSize.Height, targetSize.Width,
        }, 1, 6);
}
