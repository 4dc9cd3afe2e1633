using System.Diagnostics;
using Icd.Pipelines;
using Spectre.Console;

namespace Icd.Cli.Commands;

/// <summary>Runs pipeline work under a Spectre.Console progress bar (one tick per UNet
/// evaluation) on an interactive terminal, and silently otherwise (or with --json).</summary>
internal static class ConsoleProgress
{
    public static T Run<T>(string title, int totalUnits, bool quiet, Func<IProgress<StepProgress>?, T> work)
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
                var sw = Stopwatch.StartNew();
                result = work(new Reporter(task, sw));
                task.Value = task.MaxValue;
            });
        return result;
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
