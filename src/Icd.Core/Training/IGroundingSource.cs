namespace Icd.Training;

/// <summary>One caption word and the pixels it describes: <see cref="Coverage"/> is row-major at the
/// image's size, in [0, 1] (an object's anti-aliased coverage, or the background outside every object).</summary>
public sealed record WordRegion(int WordIndex, float[] Coverage);

/// <summary>A source that knows which caption words describe which pixels, so the teacher's
/// cross-attention can be taught where each word belongs (<see cref="AttentionGrounding"/>).
/// Word indices count the caption split on single spaces, as <see cref="Text.TokenizedPrompt.Words"/> does.</summary>
public interface IGroundingSource : IImageCaptionSource
{
    /// <summary>The grounded words of item <paramref name="index"/>'s caption.</summary>
    IReadOnlyList<WordRegion> Grounding(long index);
}
