using Icd.Pipelines;
using Icd.Web.Jobs;

namespace Icd.Web.Tests;

public class JobQueueTests
{
    private static JobResult Empty => new(new Dictionary<string, byte[]>(), 0, 0, new Dictionary<string, double>());

    private static Job WaitFor(Job job)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (job.State is JobState.Queued or JobState.Running)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {job.Id} still {job.State}");
            Thread.Sleep(10);
        }
        return job;
    }

    [Fact]
    public void AJobReportsProgressAndItsResult()
    {
        using var queue = new JobQueue();
        var job = queue.Submit("test", "two steps", 2, (progress, _) =>
        {
            progress.Report(new StepProgress(Phase.Denoise, 1, 2, 1, TimeSpan.FromSeconds(1)));
            progress.Report(new StepProgress(Phase.Denoise, 2, 2, 2, TimeSpan.FromSeconds(2)));
            return Empty with { Nfe = 2 };
        })!;
        WaitFor(job);
        Assert.Equal(JobState.Done, job.State);
        Assert.Equal(2, job.UnitsDone);
        Assert.Equal(2, job.Result!.Nfe);
        var view = JobView.Of(job, queue);
        Assert.Equal("done", view.State);
        Assert.Equal(1.0, view.ItPerS); // 2 NFE in 2 s
    }

    [Fact]
    public void AFailingJobKeepsItsMessageAndTheQueueRuns()
    {
        using var queue = new JobQueue();
        var bad = queue.Submit("test", "fails", 1, (_, _) => throw new ArgumentException("the prompt is 90 tokens; the model reads 77"))!;
        var good = queue.Submit("test", "runs", 1, (_, _) => Empty)!;
        Assert.Equal(JobState.Failed, WaitFor(bad).State);
        Assert.Equal("the prompt is 90 tokens; the model reads 77", bad.Error);
        Assert.Equal(JobState.Done, WaitFor(good).State);
    }

    [Fact]
    public void JobsRunOneAtATimeAndTheQueueIsBounded()
    {
        using var queue = new JobQueue();
        using var release = new ManualResetEventSlim();
        int running = 0, overlap = 0;
        JobResult Work(IProgress<StepProgress> _, CancellationToken __)
        {
            if (Interlocked.Increment(ref running) > 1) Interlocked.Increment(ref overlap);
            release.Wait(TimeSpan.FromSeconds(30));
            Interlocked.Decrement(ref running);
            return Empty;
        }
        var first = queue.Submit("test", "blocks", 1, Work)!;
        while (first.State == JobState.Queued) Thread.Sleep(5);
        var waiting = Enumerable.Range(0, JobQueue.MaxPending).Select(_ => queue.Submit("test", "waits", 1, Work)).ToList();
        Assert.All(waiting, Assert.NotNull);
        Assert.Null(queue.Submit("test", "one too many", 1, Work));
        Assert.Equal(JobQueue.MaxPending, JobView.Of(waiting[^1]!, queue).Waiting);
        release.Set();
        foreach (var job in waiting) Assert.Equal(JobState.Done, WaitFor(job!).State);
        Assert.Equal(0, overlap);
    }

    [Fact]
    public void OldFinishedJobsAreForgotten()
    {
        using var queue = new JobQueue();
        var jobs = new List<Job>();
        for (int i = 0; i < JobQueue.MaxKept + 3; i++) jobs.Add(WaitFor(queue.Submit("test", $"job {i}", 1, (_, _) => Empty)!));
        Assert.All(jobs.Take(3), j => Assert.Null(queue.Find(j.Id)));
        Assert.All(jobs.Skip(3), j => Assert.Same(j, queue.Find(j.Id)));
    }
}
