using System.Collections.Concurrent;
using Icd.Pipelines;

namespace Icd.Web.Jobs;

/// <summary>
/// Runs jobs one at a time on one dedicated thread. The model is one set of networks with switchable
/// LoRA adapters and attention controllers, so two jobs must never run at once; libtorch's grad mode
/// is thread-local, so the worker is a real thread, not pool tasks. At most <see cref="MaxPending"/>
/// jobs wait; finished jobs are kept (images included) until <see cref="MaxKept"/> newer ones exist.
/// </summary>
public sealed class JobQueue : IDisposable
{
    public const int MaxPending = 8;
    public const int MaxKept = 64;

    private readonly BlockingCollection<Job> _pending = new(new ConcurrentQueue<Job>());
    private readonly ConcurrentDictionary<string, Job> _jobs = new();
    private readonly ConcurrentQueue<string> _order = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _worker;
    private long _counter;

    public JobQueue()
    {
        _worker = new Thread(RunWorker) { IsBackground = true, Name = "icd model worker" };
        _worker.Start();
    }

    /// <summary>Queues work; null when <see cref="MaxPending"/> jobs already wait (the caller answers "busy").</summary>
    public Job? Submit(string kind, string summary, int units, Func<IProgress<StepProgress>, CancellationToken, JobResult> work)
    {
        if (_pending.Count >= MaxPending) return null;
        var job = new Job($"{Interlocked.Increment(ref _counter)}", kind, summary, units, work);
        _jobs[job.Id] = job;
        _order.Enqueue(job.Id);
        while (_order.Count > MaxKept && _order.TryDequeue(out var old)) _jobs.TryRemove(old, out _);
        _pending.Add(job);
        return job;
    }

    public Job? Find(string id) => _jobs.GetValueOrDefault(id);

    public int Pending => _pending.Count;

    private void RunWorker()
    {
        try
        {
            foreach (var job in _pending.GetConsumingEnumerable(_stop.Token))
            {
                job.Start();
                try
                {
                    job.Finish(job.Work(new Progress(job), _stop.Token));
                }
                catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
                {
                    // Bad input that only the model can detect (a prompt too long, an image too small)
                    // fails the job with the library's message; the server keeps running.
                    job.Fail(e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>Reports synchronously on the worker thread (<see cref="Progress{T}"/> would post to the pool).</summary>
    private sealed class Progress(Job job) : IProgress<StepProgress>
    {
        public void Report(StepProgress value) => job.Report(value);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _pending.CompleteAdding();
        _worker.Join(TimeSpan.FromSeconds(30));
        _pending.Dispose();
        _stop.Dispose();
    }
}
