using System.CommandLine;
using System.Text.Json;
using Icd.Cli.Bench;

namespace Icd.Cli.Commands;

/// <summary><c>icd bench ...</c>: benchmarks that print JSON.</summary>
internal static class BenchCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks; each prints JSON");
        var ops = new Command("ops", "sgemm and conv2d throughput against the machine's fp32 peak");
        ops.SetAction(_ =>
        {
            Console.WriteLine(JsonSerializer.Serialize(OpsBenchmark.Run(), Json));
            return 0;
        });
        bench.Subcommands.Add(ops);
        return bench;
    }

    internal static void Print(object result) => Console.WriteLine(JsonSerializer.Serialize(result, Json));
}
