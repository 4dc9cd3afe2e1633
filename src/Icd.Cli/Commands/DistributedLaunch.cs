using System.Diagnostics;
using Icd.Torch.Distributed;
using Icd.Training;

namespace Icd.Cli.Commands;

/// <summary>
/// Data-parallel runs of <c>icd train</c>: joining a job started by torchrun, Slurm or Kubernetes
/// (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), and <c>--nproc N</c>, which starts N
/// local workers of this same command with those variables and a share of the cores each.
/// </summary>
internal static class DistributedLaunch
{
    /// <summary>Starts <paramref name="processes"/> workers and waits; a worker that fails stops the
    /// others (after their own timeout, or killed once it passed). Returns the first failure's exit code.</summary>
    public static int Launch(int processes, TimeSpan timeout)
    {
        int port = DistributedEnvironment.FreeLoopbackPort();
        int threads = Math.Max(1, Icd.Torch.TorchRuntime.Threads / processes);
        var args = Environment.GetCommandLineArgs();
        string exe = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path to start workers");
        // Under `dotnet icd.dll …` the first argument is the assembly; an apphost is its own program.
        var forward = Path.GetFileNameWithoutExtension(exe) == "dotnet" ? args : args.Skip(1).ToArray();
        var workers = new List<Process>();
        for (int rank = 0; rank < processes; rank++)
        {
            var start = new ProcessStartInfo(exe) { UseShellExecute = false };
            foreach (var a in forward) start.ArgumentList.Add(a);
            start.Environment["WORLD_SIZE"] = processes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["RANK"] = start.Environment["LOCAL_RANK"] = rank.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["MASTER_ADDR"] = "127.0.0.1";
            start.Environment["MASTER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["OMP_NUM_THREADS"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["ICD_DIST_TIMEOUT"] = timeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            workers.Add(Process.Start(start) ?? throw new InvalidOperationException($"could not start worker {rank}"));
        }
        Console.Error.WriteLine($"icd: {processes} workers ({threads} thread{(threads == 1 ? "" : "s")} each) at 127.0.0.1:{port}");
        int? failedRank = null;
        var failedAt = DateTime.MaxValue;
        var reported = new bool[workers.Count];
        while (workers.Any(w => !w.HasExited))
        {
            Thread.Sleep(200);
            for (int r = 0; r < workers.Count; r++)
            {
                if (reported[r] || !workers[r].HasExited || workers[r].ExitCode == 0) continue;
                reported[r] = true;
                failedRank ??= r;
                if (failedAt == DateTime.MaxValue) failedAt = DateTime.UtcNow;
                Console.Error.WriteLine($"icd: worker {r} {Describe(workers[r].ExitCode)}; the others stop within {timeout.TotalSeconds:F0} s");
            }
            if (failedRank is not null && DateTime.UtcNow - failedAt > timeout + TimeSpan.FromSeconds(10))
                foreach (var w in workers.Where(w => !w.HasExited)) w.Kill(entireProcessTree: true);
        }
        for (int r = 0; r < workers.Count; r++)
            if (!reported[r] && workers[r].ExitCode != 0) Console.Error.WriteLine($"icd: worker {r} {Describe(workers[r].ExitCode)}");
        return failedRank is { } f ? Math.Min(workers[f].ExitCode, 125) : workers.Select(w => w.ExitCode).FirstOrDefault(c => c != 0);
    }

    /// <summary>An exit code as a shell shows it: above 128 a process was ended by a signal.</summary>
    private static string Describe(int code) => code > 128 ? $"was killed (signal {code - 128})" : $"exited with code {code}";

    /// <summary>In a worker (WORLD_SIZE &gt; 1): joins the job and makes it the training's data-parallel context.</summary>
    public static DataParallel? Join(TimeSpan timeout)
    {
        var env = DistributedEnvironment.FromEnvironment();
        if (env is null) return null;
        if (Environment.GetEnvironmentVariable("ICD_DIST_TIMEOUT") is { } t && double.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out double seconds))
            timeout = TimeSpan.FromSeconds(seconds);
        var parallel = new DataParallel(ProcessGroup.Join(env, timeout));
        DataParallel.Current = parallel;
        return parallel;
    }
}
