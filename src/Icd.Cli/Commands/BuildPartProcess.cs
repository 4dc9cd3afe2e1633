using System.Diagnostics;
using Icd.Shapes;

namespace Icd.Cli.Commands;

/// <summary>Runs one part of a Shapes build (<c>icd shapes build --part …</c>) in a child process of
/// this same CLI, with its share of the cores, and forwards its lines to stderr prefixed by the part.
/// (Every `icd shapes` process chooses the small-network thread settings for itself.)</summary>
internal static class BuildPartProcess
{
    public static async Task Run(ShapesBuildParts part, IReadOnlyList<string> buildArguments, int threads, CancellationToken ct)
    {
        string name = part.ToString().ToLowerInvariant();
        var start = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this process's executable to start the build's parts"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // `dotnet icd.dll …` runs through the host, `icd …` through the app host.
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet") start.ArgumentList.Add(typeof(BuildPartProcess).Assembly.Location);
        foreach (var a in new[] { "shapes", "build" }.Concat(buildArguments).Concat(["--part", name])) start.ArgumentList.Add(a);
        // TorchRuntime reads it: the child's ops use only its share of the cores.
        start.Environment["OMP_NUM_THREADS"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the {name} part of the build");
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {name}: building in process {process.Id} with {threads} thread(s)");
        var lines = new[] { Forward(process.StandardOutput, name), Forward(process.StandardError, name) };
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            // Its checkpoints stay: the next build resumes where it stopped.
            process.Kill(entireProcessTree: true);
            throw;
        }
        await Task.WhenAll(lines);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"the {name} part of the build failed (exit code {process.ExitCode}); its lines above start with [{name}]; run the same command again to resume");
    }

    private static async Task Forward(StreamReader reader, string name)
    {
        while (await reader.ReadLineAsync() is { } line) Console.Error.WriteLine($"[{name}] {line}");
    }
}
