using System.Text.Json.Serialization;
using Icd.Common;

namespace Icd.Sampling;

/// <summary><c>scheduler/scheduler_config.json</c> (DDIM/DDPM, diffusers names). Only what the
/// noise schedule needs is used; iCD fixes everything else (METHOD B1).</summary>
public sealed record SchedulerConfig
{
    [JsonPropertyName("num_train_timesteps")] public int NumTrainTimesteps { get; init; } = 1000;
    [JsonPropertyName("beta_start")] public double BetaStart { get; init; } = 0.00085;
    [JsonPropertyName("beta_end")] public double BetaEnd { get; init; } = 0.012;
    [JsonPropertyName("beta_schedule")] public string BetaSchedule { get; init; } = "scaled_linear";
    [JsonPropertyName("prediction_type")] public string PredictionType { get; init; } = "epsilon";
    [JsonPropertyName("set_alpha_to_one")] public bool SetAlphaToOne { get; init; }
    [JsonPropertyName("clip_sample")] public bool ClipSample { get; init; }
    [JsonPropertyName("rescale_betas_zero_snr")] public bool RescaleBetasZeroSnr { get; init; }
    [JsonPropertyName("thresholding")] public bool Thresholding { get; init; }

    public static readonly SchedulerConfig StableDiffusion = new();

    public SchedulerConfig Validate(string source = "scheduler/scheduler_config.json")
    {
        if (BetaSchedule is not ("scaled_linear" or "linear"))
            throw new InvalidDataException($"{source}: beta_schedule=\"{BetaSchedule}\" is not supported");
        if (PredictionType != "epsilon")
            throw new InvalidDataException($"{source}: prediction_type=\"{PredictionType}\" is not supported (iCD's consistency jump needs ε-prediction)");
        if (RescaleBetasZeroSnr) throw new InvalidDataException($"{source}: rescale_betas_zero_snr=true is not supported");
        if (Thresholding) throw new InvalidDataException($"{source}: thresholding=true is not supported");
        if (NumTrainTimesteps < 2 || BetaStart <= 0 || BetaEnd <= BetaStart)
            throw new InvalidDataException($"{source}: need num_train_timesteps ≥ 2 and 0 < beta_start < beta_end");
        return this;
    }

    public static SchedulerConfig Load(string path) => ConfigFile.Read<SchedulerConfig>(path).Validate(path);
}
