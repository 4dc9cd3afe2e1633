namespace Icd.Shapes;

/// <summary>The parts of a Shapes build. The model and the ablations both start from the base and
/// share nothing else, so they can be built at the same time in two processes.</summary>
[Flags]
public enum ShapesBuildParts
{
    /// <summary>Tokenizer, VAE, CLIP, teacher phases and the guidance-distilled UNet.</summary>
    Base = 1,
    /// <summary>The model's iCD students and the cycle fine-tuning of its forward student.</summary>
    Model = 2,
    /// <summary>Table 2's ablation students (no preservation losses; L_f only).</summary>
    Ablations = 4,
    All = Base | Model | Ablations,
}
