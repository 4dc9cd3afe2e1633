using System.Diagnostics;
using Icd.Shapes;

namespace Icd.Cli.Commands;

/// <summary>Runs one part of a Shapes build (<c>icd shapes build --part …</c>) in a child process of
/// this same CLI, with its share of the cores and the thread settings that suit small networks, and
/// forwards its lines to stderr prefixed by the part.</summary>
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
        // The Shapes networks' ops are small. OpenBLAS's own thread pool then only competes with
        // libtorch's, and OpenMP threads that sleep between ops pay a wake-up per op. With both
        // settings, 2 threads on the 2-core build machine (icd bench train, steps/s): iCD stage
        // 0.83 -> 1.42, teacher 3.0 -> 7.6. They are read once, when libtorch loads, hence a process
        // per part. (For SD1.5-sized networks they cost: UNet step 9.6 -> 13.2 s, so not global.)
        foreach (var (variable, value) in SmallNetworkThreading)
            if (Environment.GetEnvironmentVariable(variable) is null) start.Environment[variable] = value; // the user's setting wins
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

    public static readonly (string Name, string Value)[] SmallNetworkThreading = [("OPENBLAS_NUM_THREADS", "1"), ("GOMP_SPINCOUNT", "10000000")];

    private static async Task Forward(StreamReader reader, string name)
    {
        while (await reader.ReadLineAsync() is { } line) Console.Error.WriteLine($"[{name}] {line}");
    }
}
