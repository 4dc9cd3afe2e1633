using Icd.Training;

namespace Icd.Cli.Commands;

/// <summary>Training progress as one line on stderr at most every <paramref name="interval"/> (and
/// at a stage's last step): losses, it/s, ETA. Lines, not a redrawn bar, so logs and CI keep them.</summary>
internal sealed class TrainProgressLines(TimeSpan interval) : IProgress<TrainProgress>
{
    private DateTime _last = DateTime.MinValue;

    public void Report(TrainProgress p)
    {
        if (p.Step != p.TotalSteps && DateTime.UtcNow - _last < interval) return;
        _last = DateTime.UtcNow;
        string losses = string.Join("  ", p.Losses.Select(kv => $"{kv.Key} {kv.Value:G4}"));
        Console.Error.WriteLine($"  {p.Stage} {p.Step}/{p.TotalSteps}  {losses}  {p.StepsPerSecond:F2} it/s  ETA {p.Eta:hh\\:mm\\:ss}");
    }
}
