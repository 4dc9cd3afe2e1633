using System.Diagnostics;
using Icd.Pipelines;
using Spectre.Console;

namespace Icd.Cli.Commands;

/// <summary>Runs pipeline work under a Spectre.Console progress bar (one tick per UNet
/// evaluation) on an interactive terminal, and silently otherwise (or with --json).</summary>
internal static class ConsoleProgress
{
    public static T Run<T>(string title, int totalUnits, bool quiet, Func<IProgress<StepProgress>?, T> work) =>
        Bar<StepProgress, T>(title, totalUnits, quiet, (task, sw) => new Reporter(task, sw), work);

    /// <summary>The Spectre bar both kinds of work show; <paramref name="reporter"/> turns reports into its text.</summary>
    private static T Bar<TReport, T>(string title, int totalUnits, bool quiet, Func<ProgressTask, Stopwatch, IProgress<TReport>> reporter,
        Func<IProgress<TReport>?, T> work)
    {
        if (quiet || Console.IsErrorRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return work(null);
        T result = default!;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(title, maxValue: totalUnits);
                result = work(reporter(task, Stopwatch.StartNew()));
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>The same bar for batched metric work: one unit per image, images per second.</summary>
    public static T RunImages<T>(string title, int images, bool quiet, Func<IProgress<Icd.Metrics.MetricProgress>?, T> work) =>
        Bar<Icd.Metrics.MetricProgress, T>(title, images, quiet, (task, sw) => new ImageReporter(task, sw), work);

    private sealed class ImageReporter(ProgressTask task, Stopwatch sw) : IProgress<Icd.Metrics.MetricProgress>
    {
        public void Report(Icd.Metrics.MetricProgress p)
        {
            task.Value = Math.Min(p.Done, task.MaxValue);
            task.Description = $"{p.Metric} {p.Done}/{p.Total} · {p.Done / Math.Max(sw.Elapsed.TotalSeconds, 1e-9):F2} img/s";
        }
    }

    private sealed class Reporter(ProgressTask task, Stopwatch sw) : IProgress<StepProgress>
    {
        private int _units;

        public void Report(StepProgress p)
        {
            _units++;
            task.Value = Math.Min(_units, task.MaxValue);
            double rate = p.Nfe / Math.Max(sw.Elapsed.TotalSeconds, 1e-9);
            task.Description = $"{p.Phase.ToString().ToLowerInvariant()} {p.Step}/{p.TotalSteps} · NFE {p.Nfe} · {rate:F2} it/s";
        }
    }
}
