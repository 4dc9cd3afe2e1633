namespace Icd.Editing.PromptToPrompt;

/// <summary>
/// Prompt-to-Prompt settings (METHOD C1). Step bounds are fractions of the number of denoising
/// steps: cross-attention is replaced on alpha rows [⌊a·(steps+1)⌋, ⌊b·(steps+1)⌋), self-attention on
/// steps [⌊a·steps⌋, ⌊b·steps⌋). iCD's launch defaults: cross 0.3, self 0.6, amplify 4.
/// </summary>
public sealed record PromptToPromptOptions
{
    public (double Start, double End) CrossReplace { get; init; } = (0, 0.3);
    public (double Start, double End) SelfReplace { get; init; } = (0, 0.6);

    /// <summary>Per-word cross-replace bounds (P2P's dict form), keyed by target word.</summary>
    public IReadOnlyDictionary<string, (double Start, double End)>? CrossReplacePerWord { get; init; }

    /// <summary>AttentionReweight: target words whose cross-attention is multiplied by a factor.</summary>
    public IReadOnlyDictionary<string, double> Amplify { get; init; } = new Dictionary<string, double>();

    /// <summary>LocalBlend words: (source word, target word); null disables local blending.</summary>
    public (string Source, string Target)? Blend { get; init; }

    /// <summary>LocalBlend threshold on the max-normalised map (P2P: 0.3).</summary>
    public double BlendThreshold { get; init; } = 0.3;

    /// <summary>With <see cref="Blend"/>: the output keeps the input's pixels outside LocalBlend's last
    /// mask, fading in over one cell of the attention maps the mask comes from
    /// (<see cref="LocalBlend.Paste"/>). LocalBlend keeps the source's latents there, but the VAE
    /// decoder carries the edit's colour across the whole image. false: decode the latents as they
    /// are, as the reference does.</summary>
    public bool PasteInputOutsideBlend { get; init; } = true;

    public PromptToPromptOptions Validate()
    {
        foreach (var (name, (a, b)) in new[] { ("cross-replace", CrossReplace), ("self-replace", SelfReplace) })
        {
            if (!(a >= 0 && a <= b && b <= 1)) throw new ArgumentOutOfRangeException(name, $"{name} bounds ({a}, {b}) must satisfy 0 ≤ start ≤ end ≤ 1");
        }
        foreach (var (word, factor) in Amplify)
        {
            if (!(factor >= 0) || double.IsInfinity(factor)) throw new ArgumentOutOfRangeException(nameof(Amplify), $"amplify factor for '{word}' must be a finite number ≥ 0, got {factor}");
        }
        if (!(BlendThreshold is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(BlendThreshold), BlendThreshold, "must be in (0, 1)");
        return this;
    }
}
