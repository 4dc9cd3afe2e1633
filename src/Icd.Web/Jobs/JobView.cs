namespace Icd.Web.Jobs;

/// <summary>A job as <c>/api/jobs/{id}</c> shows it: state, progress with rate and ETA, and the
/// result with image URLs.</summary>
public sealed record JobView(
    string Id,
    string Kind,
    string Summary,
    string State,
    string? Phase,
    int UnitsDone,
    int UnitsTotal,
    int Nfe,
    double ElapsedSeconds,
    double? ItPerS,
    double? EtaSeconds,
    int Waiting,
    string? Error,
    JobView.Output? Result)
{
    public sealed record Output(int Nfe, double Seconds, IReadOnlyDictionary<string, double> Metrics, IReadOnlyDictionary<string, string> Images);

    public static JobView Of(Job job, JobQueue queue)
    {
        var p = job.Progress;
        double elapsed = p?.Elapsed.TotalSeconds ?? 0;
        int done = job.UnitsDone;
        // Rate in UNet evaluations per second (the papers' unit); ETA from the share of reports left.
        double? rate = p is { Nfe: > 0 } && elapsed > 0 ? p.Nfe / elapsed : null;
        double? eta = job.State == JobState.Running && done > 0 ? elapsed / done * (job.Units - done) : null;
        var result = job.Result is { } r
            ? new Output(r.Nfe, r.Seconds, r.Metrics, r.Images.Keys.ToDictionary(k => k, k => $"/api/jobs/{job.Id}/{k}.png"))
            : null;
        return new JobView(job.Id, job.Kind, job.Summary, job.State.ToString().ToLowerInvariant(), p?.Phase.ToString().ToLowerInvariant(),
            done, job.Units, p?.Nfe ?? 0, elapsed, rate, eta, job.State == JobState.Queued ? queue.Pending : 0, job.Error, result);
    }
}
