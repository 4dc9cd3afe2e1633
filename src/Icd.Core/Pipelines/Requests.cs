using Icd.Metrics;
using Icd.Editing.PromptToPrompt;
using Icd.Imaging;
using Icd.Sampling;

namespace Icd.Pipelines;

public enum EditMethod
{
    /// <summary>Target prompt only, no attention control (iCD-XL's prompt switch).</summary>
    PromptSwitch,

    /// <summary>iCD + Prompt-to-Prompt on a [source, target] batch (iCD SD1.5's editing).</summary>
    PromptToPrompt,

    /// <summary>Inverse-and-Edit: Guide-and-Rescale guidance through the reverse model (METHOD C2).</summary>
    Guided,
}

/// <summary>How to invert: the seed of ε0, the start timestep (null: the model's forward start,
/// 19 for iCD) and how to bring the image to the model's size.</summary>
public sealed record InversionOptions
{
    public ulong Seed { get; init; } = 30;
    public long? StartTimestep { get; init; }
    public ResizeMode Resize { get; init; } = ResizeMode.CenterCrop;
    public int? Size { get; init; }
}

public sealed record GenerateOptions
{
    public ulong Seed { get; init; } = 30;
    public GuidanceSchedule Guidance { get; init; } = GuidanceSchedule.Constant(7);
    public int? Size { get; init; }
    /// <summary>The noise x_T is drawn from; null: the model's <c>GenerationNoise</c>.</summary>
    public Training.TrainingNoise? StartNoise { get; init; }
}

public sealed record EditOptions
{
    public EditMethod Method { get; init; } = EditMethod.PromptToPrompt;
    public InversionOptions Inversion { get; init; } = new();

    /// <summary>The target branch's guidance (iCD: dynamic CFG, w = 19, τ = 0.8).</summary>
    public GuidanceSchedule Guidance { get; init; } = new GuidanceSchedule.Dynamic(19, 0.8);

    /// <summary>Prompt switch only: use the source prompt (w = 0) while t &gt; 1000·τ (the SDXL rule, METHOD B6).</summary>
    public double? SourcePromptAboveTau { get; init; }

    public PromptToPromptOptions PromptToPrompt { get; init; } = new();

    /// <summary>Match the output's global colour statistics to the input's (match_stats_255).</summary>
    public bool MatchColors { get; init; }

    /// <summary>A mask image of the input's size: white where the edit may change the image, black
    /// where it must keep the image: the target branch keeps the reconstruction's latent there, and
    /// the output keeps the input's pixels, fading in over one latent cell around the region (see
    /// <see cref="Editing.RegionBlend"/>); null: the whole image. Not for guided editing.</summary>
    public RgbImage? Region { get; init; }

    /// <summary>With <see cref="Region"/>: the share λ ∈ [0, 1] of the inverted noise's variance that
    /// fresh noise replaces inside the region at the start (0: none). 0.25 did best on 32
    /// training-stream colour edits confined to their true masks (model card): enough to loosen the
    /// colour the inverted noise carries, little enough not to draw texture over a generous mask.</summary>
    public double RegionRenoise { get; init; } = 0.25;

    /// <summary>Also decode the source branch (the reconstruction) — one more VAE decode.</summary>
    public bool IncludeReconstruction { get; init; }
}

public sealed record GenerateResult(RgbImage Image, int Nfe, TimeSpan Elapsed);

public sealed record ReconstructResult(RgbImage Input, RgbImage Reconstruction, double Mse, double Psnr, double Ssim, int Nfe, TimeSpan Elapsed)
{
    /// <summary>A reconstruction with its MSE, PSNR and SSIM against the (preprocessed) input.</summary>
    public static ReconstructResult Measure(RgbImage input, RgbImage reconstruction, int nfe, TimeSpan elapsed) =>
        new(input, reconstruction, ImageMetrics.Mse(input, reconstruction), ImageMetrics.Psnr(input, reconstruction),
            ImageMetrics.Ssim(input, reconstruction), nfe, elapsed);
}

public sealed record EditResult(RgbImage Input, RgbImage Image, RgbImage? Reconstruction, int Nfe, TimeSpan Elapsed, string Controller);
