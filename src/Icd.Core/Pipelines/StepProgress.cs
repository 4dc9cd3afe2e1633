namespace Icd.Pipelines;

public enum Phase
{
    Encode,
    Invert,
    Denoise,
    Decode,
}

/// <summary>Reported after each UNet evaluation (and once per VAE pass).</summary>
public sealed record StepProgress(Phase Phase, int Step, int TotalSteps, int Nfe, TimeSpan Elapsed);
