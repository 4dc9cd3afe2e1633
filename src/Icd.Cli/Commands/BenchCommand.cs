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

        var repeats = new Option<int>("--repeats") { Description = "timed runs per measurement (best is reported)", DefaultValueFactory = _ => 2 };
        var family = new Option<string>("--family") { Description = "model family of the random networks: sd15 or sdxl", DefaultValueFactory = _ => "sd15" };
        var benchDtype = new Option<string>("--dtype") { Description = "comma-separated dtypes to time side by side: fp32, bf16, auto", DefaultValueFactory = _ => "fp32" };
        var unet = new Command("unet", "A family's UNet (SD1.5: 64×64 latent; SDXL: 128×128; batch 1 and 2), VAE and text encoders at its size; random weights, each --dtype side by side");
        unet.Options.Add(repeats);
        unet.Options.Add(family);
        unet.Options.Add(benchDtype);
        var unetProfile = new Option<string?>("--profile") { Description = "also profile one batch-1 UNet forward per dtype: a Chrome trace in this folder, the ops that took most time in the JSON" };
        unet.Options.Add(unetProfile);
        unet.SetAction(parse =>
        {
            int n = parse.GetValue(repeats);
            if (n < 1) throw new ArgumentException("--repeats must be at least 1");
            var dtypes = ParseDtypes(parse.GetValue(benchDtype)!);
            Console.WriteLine(JsonSerializer.Serialize(ModelBenchmark.Run(n, RandomModels.Check(parse.GetValue(family)!), dtypes, parse.GetValue(unetProfile)), Json));
            return 0;
        });
        bench.Subcommands.Add(unet);

        var attention = new Command("attention", "The attention study: SD1.5's 4096-token self-attention per dtype, whole and in query-row blocks of several sizes");
        attention.Options.Add(repeats);
        attention.Options.Add(benchDtype);
        attention.SetAction(parse =>
        {
            int n = parse.GetValue(repeats);
            if (n < 1) throw new ArgumentException("--repeats must be at least 1");
            Console.WriteLine(JsonSerializer.Serialize(AttentionBenchmark.Run(n, ParseDtypes(parse.GetValue(benchDtype)!)), Json));
            return 0;
        });
        bench.Subcommands.Add(attention);

        var metricsBench = new Command("metrics", "Seconds per image of each metric network (LPIPS ×3, CLIP L/14 and B/32, DINOv2, DINO ViT-B/8, FID Inception, ImageReward) and of FID's statistics and distance");
        metricsBench.Options.Add(repeats);
        metricsBench.SetAction(parse =>
        {
            int n = parse.GetValue(repeats);
            if (n < 1) throw new ArgumentException("--repeats must be at least 1");
            Print(MetricsBenchmark.Run(n));
            return 0;
        });
        bench.Subcommands.Add(metricsBench);

        var model = new Option<string?>("--model") { Description = "an iCD model (default: the full config of --family with random weights)" };
        var reference = new Option<string>("--reference")
        {
            Description = "reference cases folder whose tiny-sd / tiny-sdxl tokenizers the random models use",
            DefaultValueFactory = _ => Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "..", "shared", "reference"),
        };
        var guided = new Option<bool>("--guided") { Description = "Inverse-and-Edit guided editing instead of Prompt-to-Prompt" };
        var edit = new Command("edit", "One iCD edit (4 + 4 steps, Prompt-to-Prompt or guided) with per-phase timings and peak RSS");
        edit.Options.Add(model);
        edit.Options.Add(guided);
        edit.Options.Add(reference);
        edit.Options.Add(family);
        var editDtype = new Option<string>("--dtype") { Description = "comma-separated inference precisions to time one after the other: fp32, bf16, auto (the VAE stays fp32)", DefaultValueFactory = _ => "fp32" };
        edit.Options.Add(editDtype);
        edit.SetAction(parse =>
        {
            string f = RandomModels.Check(parse.GetValue(family)!);
            // Each dtype in turn in this one process (models are built and released one at a time).
            var runs = ParseDtypes(parse.GetValue(editDtype)!).Select(d => new
            {
                dtype = Icd.Pipelines.InferencePrecision.Name(d),
                result = EditBenchmark.Run(parse.GetValue(model), Path.GetFullPath(parse.GetValue(reference)!), f, parse.GetValue(guided), d),
            }).ToList();
            Console.WriteLine(JsonSerializer.Serialize(runs.Count == 1 ? runs[0].result : new { benchmark = "edit", by_dtype = runs }, Json));
            return 0;
        });
        bench.Subcommands.Add(edit);

        var trainModel = new Option<string>("--model") { Description = "diffusers model folder", DefaultValueFactory = _ => Path.Combine("models", "shapes", "model") };
        var trainBatch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 8 };
        var trainSteps = new Option<int>("--steps") { Description = "timed steps per stage (after one warm-up step)", DefaultValueFactory = _ => 5 };
        var trainSize = new Option<int>("--size") { Description = "training image size", DefaultValueFactory = _ => 64 };
        var trainStages = new Option<string[]>("--stages")
        {
            Description = $"stages to time (default: all of {string.Join(", ", TrainBenchmark.Stages)})", AllowMultipleArgumentsPerToken = true,
        };
        var trainProfile = new Option<string?>("--profile")
        {
            Description = "also profile one more step of each stage: a Chrome trace per stage in this folder, and the ops that took most time in the JSON",
        };
        var trainPrecision = new Option<string>("--precision") { Description = "comma-separated precisions to time side by side: fp32, bf16 (mixed precision)", DefaultValueFactory = _ => "fp32" };
        var trainProcesses = new Option<int>("--nproc") { Description = "data-parallel: time the stages in this many local worker processes (each with its share of the cores; --batch-size is the global batch)", DefaultValueFactory = _ => 1 };
        var train = new Command("train", "Steps/s and peak RSS of every training stage, with and without gradient checkpointing, per --precision");
        foreach (var o in new Option[] { trainModel, trainBatch, trainSteps, trainSize, trainStages, trainProfile, trainPrecision, trainProcesses }) train.Options.Add(o);
        train.SetAction(parse =>
        {
            int processes = parse.GetValue(trainProcesses);
            if (processes is < 1 or > 256) throw new ArgumentException("--nproc must be in 1..256");
            if (processes > 1 && Icd.Torch.Distributed.DistributedEnvironment.FromEnvironment() is null)
                return DistributedLaunch.Launch(processes, TimeSpan.FromSeconds(300));
            using var parallel = DistributedLaunch.Join(TimeSpan.FromSeconds(300));
            if (parse.GetValue(trainSteps) < 1) throw new ArgumentException("--steps must be at least 1");
            if (parse.GetValue(trainBatch) < 1) throw new ArgumentException("--batch-size must be at least 1");
            if (parse.GetValue(trainProfile) is { } profileDir)
            {
                // Before minutes of benchmarking, not after: the traces are written at the end of each stage.
                try { Directory.CreateDirectory(profileDir); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ArgumentException($"--profile: cannot create the folder {profileDir}: {e.Message}", e); }
            }
            var stages = parse.GetValue(trainStages) is { Length: > 0 } chosen ? chosen : TrainBenchmark.Stages;
            if (stages.FirstOrDefault(s => !TrainBenchmark.Stages.Contains(s)) is { } unknown)
                throw new ArgumentException($"--stages: unknown stage '{unknown}' (known: {string.Join(", ", TrainBenchmark.Stages)})");
            var result = TrainBenchmark.Run(parse.GetValue(trainModel)!, parse.GetValue(trainBatch), parse.GetValue(trainSteps), parse.GetValue(trainSize), stages, parse.GetValue(trainProfile),
                parse.GetValue(trainPrecision)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(p => Icd.Training.RunOptions.ParsePrecision(p, "--precision")).ToList());
            // Rank 0 speaks for the job: every rank stepped in lockstep through the gradient all-reduce.
            if (parallel is null) Print(result);
            else if (parallel.Rank == 0) Print(new { processes = parallel.WorldSize, threads_per_process = Icd.Torch.TorchRuntime.Threads, global_batch = parse.GetValue(trainBatch), result });
            return 0;
        });
        bench.Subcommands.Add(train);
        return bench;
    }

    internal static void Print(object result) => Console.WriteLine(JsonSerializer.Serialize(result, Json));

    private static List<Icd.Torch.DType> ParseDtypes(string list) =>
        list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Icd.Pipelines.InferencePrecision.Parse(d, "--dtype")).ToList();
}
