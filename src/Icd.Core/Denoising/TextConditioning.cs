using Icd.Text;
using Icd.Torch;

namespace Icd.Denoising;

/// <summary>
/// What a UNet call is conditioned on besides x_t, t and w: the token states (B, 77, D), and for
/// SDXL-class models the added conditions (pooled text embedding and time ids, one row per batch
/// element). It holds no tensors of its own: the scope that made them disposes them. An SD1.5
/// caller passes its token states as they are (implicit conversion).
/// </summary>
public sealed record TextConditioning(Tensor States, AddedConditions? Added = null)
{
    public static implicit operator TextConditioning(Tensor states) => new(states);

    /// <summary>SDXL's conditioning for one batch of prompts with iCD-XL's micro-conditioning:
    /// original and target size <paramref name="imageSize"/>², no crop (METHOD B4).</summary>
    public static TextConditioning ForXL(SdxlPromptEmbeds embeds, int imageSize)
    {
        using var row = AddedConditions.TimeIdsOf((imageSize, imageSize), (0, 0), (imageSize, imageSize));
        long batch = embeds.PromptEmbeds.Size(0);
        return new TextConditioning(embeds.PromptEmbeds, new AddedConditions(embeds.PooledPromptEmbeds, row.Expand(batch, -1).Contiguous()));
    }

    public long BatchSize => States.Size(0);

    /// <summary>Rows [<paramref name="start"/>, start + <paramref name="length"/>) of every part.</summary>
    public TextConditioning Narrow(long start, long length) => new(States.Narrow(0, start, length),
        Added is null ? null : new AddedConditions(Added.TextEmbeds.Narrow(0, start, length), Added.TimeIds.Narrow(0, start, length)));

    /// <summary>One row repeated <paramref name="batch"/> times (a view).</summary>
    public TextConditioning Expand(long batch) => new(States.Expand(batch, -1, -1),
        Added is null ? null : new AddedConditions(Added.TextEmbeds.Expand(batch, -1), Added.TimeIds.Expand(batch, -1)));

    /// <summary>The parts' rows stacked in order; all parts have added conditions or none does.</summary>
    public static TextConditioning Cat(params TextConditioning[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("nothing to concatenate", nameof(parts));
        bool added = parts[0].Added is not null;
        if (parts.Any(p => (p.Added is not null) != added)) throw new ArgumentException("some parts have SDXL added conditions and some do not", nameof(parts));
        var states = Tensor.Cat(parts.Select(p => p.States).ToArray(), 0);
        return new TextConditioning(states, added
            ? new AddedConditions(Tensor.Cat(parts.Select(p => p.Added!.TextEmbeds).ToArray(), 0), Tensor.Cat(parts.Select(p => p.Added!.TimeIds).ToArray(), 0))
            : null);
    }

    /// <summary>Keeps every part alive beyond the current scope.</summary>
    public TextConditioning DetachFromScope()
    {
        States.DetachFromScope();
        Added?.TextEmbeds.DetachFromScope();
        Added?.TimeIds.DetachFromScope();
        return this;
    }

    /// <summary>Moves every part to the enclosing scope (as <see cref="Tensor.MoveToOuterScope"/>).</summary>
    public TextConditioning MoveToOuterScope()
    {
        States.MoveToOuterScope();
        Added?.TextEmbeds.MoveToOuterScope();
        Added?.TimeIds.MoveToOuterScope();
        return this;
    }

    /// <summary>Disposes every part (for conditionings detached from their scope).</summary>
    public void DisposeAll()
    {
        States.Dispose();
        Added?.TextEmbeds.Dispose();
        Added?.TimeIds.Dispose();
    }
}
