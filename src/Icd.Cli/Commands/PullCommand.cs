using System.CommandLine;
using Icd.Hub;
using Spectre.Console;

namespace Icd.Cli.Commands;

/// <summary><c>icd pull NAME…</c>: named sets of released weights (<see cref="PullSets"/>) or any hub
/// repo, into the Hugging Face cache that Python tools share, with a ready <c>icd.json</c> per model set.</summary>
internal static class PullCommand
{
    public static Command Create()
    {
        var names = new Argument<string[]>("name")
        {
            Description = $"a set ({string.Join(", ", PullSets.All.Select(s => s.Name))}) or a hub repo: org/name, org/name@revision, hf://org/name[@revision]/file",
            Arity = ArgumentArity.OneOrMore,
        };
        var include = new Option<string[]>("--include")
        {
            Description = "for a hub repo: only files matching these glob patterns (default: every file)", AllowMultipleArgumentsPerToken = true,
        };
        var to = new Option<string?>("--to") { Description = "folder for the model set's icd.json (default: $ICD_HOME/models/NAME, ICD_HOME = ~/.cache/icd)" };
        var command = new Command("pull", "Download released weights into the Hugging Face cache (HF_HUB_CACHE / HF_HOME; HF_TOKEN, HF_ENDPOINT, HF_HUB_OFFLINE honoured) and write a ready icd.json");
        command.Arguments.Add(names);
        command.Options.Add(include);
        command.Options.Add(to);
        command.SetAction(parse =>
        {
            var requested = parse.GetValue(names)!;
            string? folder = parse.GetValue(to);
            if (folder is not null && requested.Length > 1) throw new ArgumentException("--to: name one set when giving its folder");
            // Check every name before downloading anything.
            var plan = requested.Select(n => (Name: n, Set: PullSets.Find(n), Repo: PullSets.Find(n) is null ? HubReference.TryParse(n) : null)).ToList();
            foreach (var p in plan.Where(p => p.Set is null && p.Repo is null))
                throw new ArgumentException($"pull: '{p.Name}' is neither a set ({string.Join(", ", PullSets.All.Select(s => s.Name))}) nor a hub repo (org/name[@revision])");
            var cache = HubCache.FromEnvironment();
            using var client = new HubClient(cache);
            Console.Error.WriteLine($"icd: Hugging Face cache {cache.Root}, hub {client.Endpoint}");
            WithProgress(progress =>
            {
                var puller = new Puller(client, progress, line => Console.Error.WriteLine($"icd: {line}"));
                foreach (var (name, set, repo) in plan)
                {
                    if (set is not null)
                    {
                        string? model = puller.PullSetAsync(set, folder).GetAwaiter().GetResult();
                        Console.WriteLine(model is null ? $"{name}: done" : Ready(set, model));
                    }
                    else
                    {
                        string snapshot = puller.PullRepoAsync(repo!, parse.GetValue(include) ?? []).GetAwaiter().GetResult();
                        Console.WriteLine($"{name}: {snapshot}");
                    }
                }
            });
            return 0;
        });
        return command;
    }

    private static string Ready(PullSet set, string model) => set.Manifest!.ForwardLora is null
        ? $"{set.Name}: {model}/icd.json\nbaseline with: icd edit --model {model} --method ddim --image photo.jpg --source \"…\" --target \"…\""
        : $"{set.Name}: {model}/icd.json\nedit with: icd edit --model {model} --image photo.jpg --source \"a photo of a cat\" --target \"a photo of a dog\" --out edited.png";

    /// <summary>A Spectre progress bar per file (MB, MB/s, ETA) on a terminal; one line per finished file otherwise.</summary>
    private static void WithProgress(Action<IProgress<DownloadProgress>> work)
    {
        if (Console.IsErrorRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            work(new LineReporter());
            return;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .Start(ctx => work(new BarReporter(ctx)));
    }

    private sealed class BarReporter(ProgressContext context) : IProgress<DownloadProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = [];

        public void Report(DownloadProgress p)
        {
            if (!_tasks.TryGetValue(p.File, out var task))
                _tasks[p.File] = task = context.AddTask(Markup.Escape(p.File), maxValue: Math.Max(1, p.TotalBytes ?? p.Bytes));
            if (p.TotalBytes is { } total) task.MaxValue = Math.Max(1, total);
            task.Value = p.Bytes;
        }
    }

    private sealed class LineReporter : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress p)
        {
            if (p.TotalBytes is { } total && p.Bytes >= total)
                Console.Error.WriteLine($"icd: {p.File}: {p.Bytes / 1e6:F1} MB at {p.BytesPerSecond / 1e6:F1} MB/s");
        }
    }
}
