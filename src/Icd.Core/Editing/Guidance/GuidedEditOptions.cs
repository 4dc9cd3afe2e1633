namespace Icd.Editing.Guidance;

/// <summary>Inverse-and-Edit's editing settings (METHOD C2, consistency.yaml defaults).</summary>
public sealed record GuidedEditOptions
{
    /// <summary>w fed to the target pass at each reverse step (no dynamic gating).</summary>
    public IReadOnlyList<double> CfgSchedule { get; init; } = [0, 7, 11, 19];

    /// <summary>features_map_l2 weight per step.</summary>
    public IReadOnlyList<double> FeatureWeights { get; init; } = [0.5, 0.5, 0.5, 0.5];

    /// <summary>self_attn_map_l2 weight per step.</summary>
    public IReadOnlyList<double> AttentionWeights { get; init; } = [0, 20000, 20000, 20000];

    /// <summary>Bounds of the gradient-to-CFG norm ratio (range_other_on_cfg_norm).</summary>
    public (double Lo, double Hi) Rescale { get; init; } = (0.0, 1.0);

    /// <summary>Where inversion starts; null: the model's forward start (its manifest's first
    /// forward timestep). The paper's Inverse-and-Edit model is fine-tuned from the clean latent and
    /// starts at 0; the Shapes cycle model is fine-tuned from t = 19 and says so in its
    /// inverse-and-edit.json. Starting a model where it was not trained to start costs its round trip.</summary>
    public long? ForwardStart { get; init; }

    public ulong Seed { get; init; } = 10500;

    public bool MatchColors { get; init; } = true;

    /// <summary>Module whose output the feature guider compares.</summary>
    public string FeatureModule { get; init; } = "up_blocks.1.resnets.1";

    /// <summary>Inverse-and-Edit's CFG schedule (0, 7, 11, 19 for w = 19) scaled to end at
    /// <paramref name="w"/>, so a model with a smaller guidance (the Shapes model: 3) keeps the
    /// schedule's shape instead of being driven far past the scales it was distilled on.</summary>
    public static double[] ScheduleEndingAt(double w)
    {
        if (!(w >= 0 && double.IsFinite(w))) throw new ArgumentOutOfRangeException(nameof(w), w, "the guidance must be finite and ≥ 0");
        IReadOnlyList<double> paper = new GuidedEditOptions().CfgSchedule;
        return paper.Select(v => v * w / paper[^1]).ToArray();
    }

    public GuidedEditOptions Validate(int steps)
    {
        foreach (var (name, list) in new[] { ("cfg schedule", CfgSchedule), ("feature weights", FeatureWeights), ("attention weights", AttentionWeights) })
        {
            if (list.Count != steps) throw new ArgumentException($"{name} has {list.Count} entries for {steps} reverse steps");
            if (list.Any(v => !(v >= 0) || double.IsInfinity(v))) throw new ArgumentException($"{name} must be finite and ≥ 0");
        }
        if (!(Rescale.Lo >= 0 && Rescale.Lo <= Rescale.Hi)) throw new ArgumentException($"rescale bounds ({Rescale.Lo}, {Rescale.Hi}) must satisfy 0 ≤ lo ≤ hi");
        return this;
    }
}

public sealed record GuidedEditResult(Icd.Imaging.RgbImage Input, Icd.Imaging.RgbImage Image, int Nfe, int BackwardPasses, TimeSpan Elapsed, IReadOnlyList<double> RescaleFactors);
