using Icd.Pipelines;

namespace Icd.Web.Jobs;

public enum JobState
{
    Queued,
    Running,
    Done,
    Failed,
}

/// <summary>What a finished job produced: named PNGs, and the numbers the page shows beside them.</summary>
public sealed record JobResult(IReadOnlyDictionary<string, byte[]> Images, int Nfe, double Seconds, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// One piece of model work (generate, reconstruct, edit) submitted from the page. The worker thread
/// writes its state and progress; request threads read them, so every field is written once per
/// update through volatile references to immutable values.
/// </summary>
public sealed class Job
{
    internal Job(string id, string kind, string summary, int units, Func<IProgress<StepProgress>, CancellationToken, JobResult> work)
    {
        Id = id;
        Kind = kind;
        Summary = summary;
        Units = units;
        Work = work;
    }

    public string Id { get; }
    public string Kind { get; }
    /// <summary>The prompts and settings, as the page lists them.</summary>
    public string Summary { get; }
    /// <summary>Progress reports the work makes in all (UNet evaluations plus VAE passes).</summary>
    public int Units { get; }
    internal Func<IProgress<StepProgress>, CancellationToken, JobResult> Work { get; }

    private volatile StateBox _state = new(JobState.Queued, null, 0, null, null);

    public JobState State => _state.State;
    public StepProgress? Progress => _state.Progress;
    public int UnitsDone => _state.UnitsDone;
    public JobResult? Result => _state.Result;
    public string? Error => _state.Error;

    internal void Start() => _state = _state with { State = JobState.Running };

    internal void Report(StepProgress p) => _state = _state with { Progress = p, UnitsDone = Math.Min(_state.UnitsDone + 1, Units) };

    internal void Finish(JobResult result) => _state = _state with { State = JobState.Done, Result = result, UnitsDone = Units };

    internal void Fail(string error) => _state = _state with { State = JobState.Failed, Error = error };

    private sealed record StateBox(JobState State, StepProgress? Progress, int UnitsDone, JobResult? Result, string? Error);
}
