using System.CommandLine;
using System.Diagnostics;
using Icd.Shapes;
using Icd.Torch;
using Icd.Training;

namespace Icd.Cli.Commands;

/// <summary><c>icd shapes build</c>: builds the Shapes world's model from nothing (resumable).</summary>
internal static class ShapesCommand
{
    public static Command Create()
    {
        var shapes = new Command("shapes", "The Shapes world: build its model from nothing, evaluate it");
        var output = new Option<string>("--out") { Description = "model folder to write", DefaultValueFactory = _ => Path.Combine("models", "shapes") };
        var work = new Option<string>("--work") { Description = "folder for checkpoints and logs", DefaultValueFactory = _ => Path.Combine("runs", "shapes") };
        var quick = new Option<bool>("--quick") { Description = "run every stage for a few steps (a smoke test, minutes)" };
        var counterfactualSteps = new Option<int?>("--counterfactual-steps")
        {
            Description = "steps of the teacher's third phase, counterfactual noising (default 12000, the last quarter with the lr falling to 0, see --counterfactual-decay; the twentieth build 9000 at a constant lr, the seventeenth to nineteenth 3000; 0: no third phase, as the sixteenth build and earlier)",
        };
        var counterfactualDecay = new Option<int?>("--counterfactual-decay")
        {
            Description = "the third teacher phase's lr falls linearly to 0 over its last this many steps (default: a quarter of the phase, 3000; 0: constant to the end; a constant phase's checkpoint resumes into it)",
        };
        var grounding = new Option<double?>("--grounding")
        {
            Description = "add a grounding loss of this weight to the third teacher phase (each object's words attend to its pixels; a trial, see the model card)",
        };
        var vaeObjectWeight = new Option<double?>("--vae-object-weight")
        {
            Description = "weight the VAE's squared error by 1 + K·(object coverage) per pixel (default 5; 0: the plain error, as the sixteenth build and earlier)",
        };
        var icdSteps = new Option<int?>("--icd-steps")
        {
            Description = "optimisation steps of the iCD students and of Table 2's ablation students (default 6000; cosine decay over the run)",
        };
        var forwardStart = new Option<long?>("--forward-start")
        {
            Description = "timestep the iCD students' inversion starts from, a noised latent (default 19, METHOD B4; Inverse-and-Edit uses 0; a start at 0 reconstructed 1.2 dB worse, model card)",
        };
        var preservation = new Option<double?>("--preservation")
        {
            Description = "coefficient of both preservation losses L_f and L_r of the iCD students and the ablations (default 3; METHOD D1: 1.5)",
        };
        var firstSegment = new Option<int?>("--first-segment-weight")
        {
            Description = "how many times the first segment (19 → 259) counts when the preservation losses draw their segment (default 3: half the draws; METHOD D1: 1, uniform)",
        };
        var icdSelectBy = new Option<string?>("--icd-select-by")
        {
            Description = "end the iCD students' runs in their held-back step with the best value of a validation column: max:val_psnr, min:val_clean_mse or min:val_latent_mse (default: the last step)",
        };
        var icdBatch = new Option<int?>("--icd-batch")
        {
            Description = "batch size of the iCD students and of Table 2's ablation students (default 8, the iCD scripts'; the released SD1.5 students used 512)",
        };
        var icdEma = new Option<double?>("--icd-ema")
        {
            Description = "end the iCD students' and the ablations' runs in an exponential moving average of their weights with this decay, e.g. 0.999 (default: the last step's weights)",
        };
        var loraRank = new Option<long?>("--lora-rank") { Description = "LoRA rank of the iCD students, the ablations and the cycle model (default 32; iCD's SD1.5 students: 64)" };
        var loraAlpha = new Option<double?>("--lora-alpha") { Description = "LoRA alpha: the update is scaled by alpha / rank (default 12, scale 0.375; iCD's SD1.5 students: 8 / 64; at rank 32 the Shapes students round-trip better as alpha grows from 2 to 16, flattening past 12; model card)" };
        var cycleSteps = new Option<int?>("--cycle-steps") { Description = "optimisation steps of the cycle fine-tuning (default 600; the run ends in its best held-back step)" };
        var cycleLr = new Option<double?>("--cycle-lr") { Description = "learning rate of the cycle fine-tuning (default 5e-5; METHOD D2: 8e-6 over 6,000 steps)" };
        var cyclePreservation = new Option<double?>("--cycle-preservation") { Description = "coefficient of L_f in the cycle fine-tuning (default 3, as the students'; METHOD D2: 1.5)" };
        var cycleLfStart = new Option<long?>("--cycle-lf-start") { Description = "timestep L_f's pairs start from in the cycle fine-tuning (default 19, as METHOD D2)" };
        var cycleStart = new Option<long?>("--cycle-start") { Description = "timestep the cycle loss's round trip, and so Inverse-and-Edit's inversion, starts from (default 19, z0 noised to it as iCD's inversion does; METHOD D2: 0, the clean latent)" };
        var noAblations = new Option<bool>("--no-ablations") { Description = "skip Table 2's ablation students (a later build with the same folders adds them)" };
        var jobs = new Option<int?>("--jobs")
        {
            Description = "parts that train at the same time after the base: 2 builds the model's students and the ablations side by side, in two processes that share the cores (default: 2 on 2 or more cores)",
        };
        var part = new Option<ShapesBuildParts?>("--part") { Description = "build only this part: Base, Model (students, cycle) or Ablations; Model and Ablations need the base built (what each --jobs process runs)" };
        var build = new Command("build", "Train tokenizer, VAE, CLIP, teacher, guidance-distilled UNet, iCD students, cycle fine-tuning and ablation students; resumable stage by stage");
        // The settings: passed on, as given, to the process of each part.
        Option[] settings = [quick, counterfactualSteps, counterfactualDecay, grounding, vaeObjectWeight, icdSteps, icdBatch, icdSelectBy, icdEma, loraRank, loraAlpha, forwardStart, preservation, firstSegment, cycleSteps, cycleLr, cyclePreservation, cycleLfStart, cycleStart, noAblations];
        foreach (var o in settings.Prepend(work).Prepend(output).Append(jobs).Append(part)) build.Options.Add(o);
        build.SetAction(parse =>
        {
            var options = parse.GetValue(quick) ? ShapesBuildOptions.Quick : new ShapesBuildOptions();
            if (parse.GetValue(counterfactualSteps) is int steps)
            {
                if (steps < 0) throw new ArgumentException($"--counterfactual-steps must be ≥ 0 (0: no third teacher phase), got {steps}");
                // The default phase's shape at the new length: the same share of it cools down.
                var shape = new ShapesBuildOptions().TeacherCounterfactualPhase!;
                options = options with { TeacherCounterfactualPhase = steps == 0 ? null : options.TeacherCounterfactualPhase! with { Steps = steps, DecaySteps = steps * shape.DecaySteps / shape.Steps } };
            }
            if (parse.GetValue(counterfactualDecay) is int cooldown)
            {
                if (options.TeacherCounterfactualPhase is not { } phase) throw new ArgumentException("--counterfactual-decay shapes the third teacher phase, which --counterfactual-steps 0 turns off");
                if (cooldown < 0 || cooldown > phase.Steps) throw new ArgumentException($"--counterfactual-decay must be in [0, {phase.Steps}] (the phase's steps), got {cooldown}");
                options = options with { TeacherCounterfactualPhase = phase with { DecaySteps = cooldown } };
            }
            if (parse.GetValue(grounding) is double g)
            {
                if (!(g > 0 && double.IsFinite(g))) throw new ArgumentException($"--grounding must be a positive finite number, got {g}");
                if (options.TeacherCounterfactualPhase is null) throw new ArgumentException("--grounding trains in the third teacher phase, which --counterfactual-steps 0 turns off");
                options = options with { TeacherGrounding = g };
            }
            if (parse.GetValue(vaeObjectWeight) is double k)
            {
                if (!(k >= 0 && double.IsFinite(k))) throw new ArgumentException($"--vae-object-weight must be a finite number ≥ 0 (0: plain squared error), got {k}");
                options = options with { VaeObjectWeight = k };
            }
            if (parse.GetValue(icdSteps) is int n)
            {
                if (n < 1) throw new ArgumentException($"--icd-steps must be ≥ 1, got {n}");
                options = options with { Icd = options.Icd with { Steps = n } };
            }
            if (parse.GetValue(icdBatch) is int size)
            {
                if (size < 1) throw new ArgumentException($"--icd-batch must be ≥ 1, got {size}");
                options = options with { Icd = options.Icd with { BatchSize = size } };
            }
            if (parse.GetValue(icdSelectBy) is string select)
            {
                string[] known = ["max:val_psnr", "min:val_clean_mse", "min:val_latent_mse"];
                if (!known.Contains(select)) throw new ArgumentException($"--icd-select-by must be one of {string.Join(", ", known)}, got '{select}'");
                options = options with { Icd = options.Icd with { SelectBy = select } };
            }
            if (parse.GetValue(icdEma) is double decay)
            {
                if (!(decay is > 0 and < 1)) throw new ArgumentException($"--icd-ema must be in (0, 1), got {decay}");
                options = options with { Icd = options.Icd with { EmaDecay = decay } };
            }
            if (options.Icd is { SelectBy: { } by, EmaDecay: > 0 })
                throw new ArgumentException($"--icd-select-by {by} and --icd-ema both choose the students' final weights: give one");
            if (parse.GetValue(forwardStart) is long start)
            {
                if (start is < 0 or >= 259) throw new ArgumentException($"--forward-start must be in [0, 259), below the first forward boundary, got {start}");
                options = options with { ForwardStart = start };
            }
            if (parse.GetValue(preservation) is double keep)
            {
                if (!(keep >= 0 && double.IsFinite(keep))) throw new ArgumentException($"--preservation must be a finite number ≥ 0, got {keep}");
                options = options with { Preservation = keep };
            }
            if (parse.GetValue(firstSegment) is int weight)
            {
                if (weight < 1) throw new ArgumentException($"--first-segment-weight must be ≥ 1, got {weight}");
                options = options with { PreservationFirstSegmentWeight = weight };
            }
            if (parse.GetValue(loraRank) is long rank)
            {
                if (rank < 1) throw new ArgumentException($"--lora-rank must be ≥ 1, got {rank}");
                options = options with { LoraRank = rank };
            }
            if (parse.GetValue(loraAlpha) is double alpha)
            {
                if (!(alpha > 0 && double.IsFinite(alpha))) throw new ArgumentException($"--lora-alpha must be a finite number > 0, got {alpha}");
                options = options with { LoraAlpha = alpha };
            }
            if (parse.GetValue(cycleSteps) is int m)
            {
                if (m < 1) throw new ArgumentException($"--cycle-steps must be ≥ 1, got {m}");
                options = options with { Cycle = options.Cycle with { Steps = m } };
            }
            if (parse.GetValue(cycleLr) is double rate)
            {
                if (!(rate > 0 && double.IsFinite(rate))) throw new ArgumentException($"--cycle-lr must be a finite number > 0, got {rate}");
                options = options with { Cycle = options.Cycle with { LearningRate = rate } };
            }
            if (parse.GetValue(cyclePreservation) is double cycleKeep)
            {
                if (!(cycleKeep >= 0 && double.IsFinite(cycleKeep))) throw new ArgumentException($"--cycle-preservation must be a finite number ≥ 0, got {cycleKeep}");
                options = options with { CyclePreservation = cycleKeep };
            }
            if (parse.GetValue(cycleLfStart) is long lfStart)
            {
                if (lfStart is < 0 or >= 259) throw new ArgumentException($"--cycle-lf-start must be in [0, 259), below the first forward boundary, got {lfStart}");
                options = options with { CycleForwardStart = lfStart };
            }
            if (parse.GetValue(cycleStart) is long fromT)
            {
                if (fromT is < 0 or >= 259) throw new ArgumentException($"--cycle-start must be in [0, 259), below the first forward boundary, got {fromT}");
                options = options with { CycleStart = fromT };
            }
            if (parse.GetValue(noAblations)) options = options with { Ablations = false };
            var builder = new ShapesBuilder(parse.GetValue(output)!, parse.GetValue(work)!, options);
            builder.Log += message => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
            var sw = Stopwatch.StartNew();
            var progress = new TrainProgressLines(TimeSpan.FromSeconds(10));
            int cores = TorchRuntime.PhysicalCores(), processes = parse.GetValue(jobs) ?? Math.Min(2, cores);
            if (processes is < 1 or > 2) throw new ArgumentException($"--jobs must be 1 or 2, got {processes}");
            if (parse.GetValue(part) is { } only) builder.Build(only, progress);
            else
            {
                // Each part runs in a process of its own, started with the options that rebuild the same ShapesBuildOptions.
                var arguments = new List<string> { "--out", parse.GetValue(output)!, "--work", parse.GetValue(work)! };
                foreach (var o in settings)
                    if (parse.GetResult(o) is { Implicit: false } given)
                        arguments.AddRange([o.Name, .. given.Tokens.Select(t => t.Value)]);
                bool sideBySide = processes == 2;
                builder.BuildInParts((p, ct) => BuildPartProcess.Run(p, arguments, p != ShapesBuildParts.Base && sideBySide ? Math.Max(1, cores / 2) : cores, ct), sideBySide);
            }
            Console.WriteLine($"built {parse.GetValue(output)} in {sw.Elapsed.TotalMinutes:F1} min");
            return 0;
        });
        shapes.Subcommands.Add(build);

        var model = new Option<string>("--model") { Description = "the Shapes model folder", DefaultValueFactory = _ => Path.Combine("models", "shapes") };
        var report = new Option<string>("--report") { Description = "report folder (report.md, results.json, grid.png, generation.png, colour-binding.png)", DefaultValueFactory = _ => Path.Combine("reports", "shapes") };
        var evalQuick = new Option<bool>("--quick") { Description = "a few images and edits only" };
        var images = new Option<int?>("--images") { Description = "held-out images for the inversion table (default 64)" };
        var perKind = new Option<int?>("--edits-per-kind") { Description = "edits per edit kind (default 16; colour edits 64, see --colour-edits)" };
        var colourEdits = new Option<int?>("--colour-edits") { Description = "colour edits, the kind the success target is checked on (default 64, or --edits-per-kind when that is given)" };
        var split = new Option<ShapesSplit>("--split") { Description = "scenes from the held-out benchmark, or from the training stream (for tuning editing settings)", DefaultValueFactory = _ => ShapesSplit.HeldOut };
        var generations = new Option<int?>("--generations") { Description = "held-out captions for the generation table (default 32; 0: none)" };
        var bindingSeeds = new Option<int?>("--binding-seeds") { Description = "seeds per caption colour in the colour-binding check (default 6; 0: none)" };
        var kinds = new Option<EditKind[]>("--kinds") { Description = "edit kinds of the editing table, e.g. ChangeColour (default: all)", AllowMultipleArgumentsPerToken = true };
        var evalDtype = new Option<string?>("--dtype") { Description = "inference precision of every network: fp32, bf16 or auto (default: the manifest's)" };
        var eval = new Command("eval", "Inversion and editing tables on held-out scenes, with image grids");
        foreach (var o in new Option[] { model, report, evalQuick, images, perKind, colourEdits, generations, bindingSeeds, split, kinds, evalDtype }) eval.Options.Add(o);
        eval.SetAction(parse =>
        {
            var baseOptions = parse.GetValue(evalQuick) ? ShapesEvalOptions.Quick : new ShapesEvalOptions();
            var evalOptions = baseOptions with
            {
                InversionImages = parse.GetValue(images) ?? baseOptions.InversionImages,
                EditsPerKind = parse.GetValue(perKind) ?? baseOptions.EditsPerKind,
                ColourEdits = parse.GetValue(colourEdits) ?? parse.GetValue(perKind) ?? baseOptions.ColourEdits,
                GenerationImages = parse.GetValue(generations) ?? baseOptions.GenerationImages,
                BindingSeeds = parse.GetValue(bindingSeeds) ?? baseOptions.BindingSeeds,
                Split = parse.GetValue(split),
                Kinds = parse.GetValue(kinds) is { Length: > 0 } k ? k : null,
                DType = parse.GetValue(evalDtype) is { } d ? Icd.Pipelines.InferencePrecision.Parse(d, "--dtype") : null,
            };
            var evaluator = new ShapesEvaluator(parse.GetValue(model)!, parse.GetValue(report)!, evalOptions);
            evaluator.Log += message => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
            Console.WriteLine(evaluator.Run());
            return 0;
        });
        shapes.Subcommands.Add(eval);

        var seed = new Option<ulong>("--seed") { Description = "scene seed (held-out stream)", DefaultValueFactory = _ => 1 };
        var png = new Option<string>("--out") { Description = "PNG to write", DefaultValueFactory = _ => "scene.png" };
        var example = new Option<bool>("--example") { Description = "the README demo's scene: a large red circle in the center on a gray background" };
        var render = new Command("render", "Render a Shapes scene and print its caption");
        render.Options.Add(seed);
        render.Options.Add(png);
        render.Options.Add(example);
        render.SetAction(parse =>
        {
            Icd.Imaging.OutputFile.Check(parse.GetValue(png), "--out", ".png");
            var scene = parse.GetValue(example)
                ? new Scene(Colour.Gray, [new ShapeObject(Shape.Circle, Colour.Red, ObjectSize.Large, GridPosition.Center)], null)
                : new SceneStream(parse.GetValue(seed), ShapesSplit.HeldOut, SceneSettings.Default).At(0);
            var caption = CaptionWriter.Describe(scene);
            ModelOptions.WriteImage(parse.GetValue(png)!, ShapesRenderer.Render(scene, 64), new Dictionary<string, string> { ["icd:caption"] = caption.Text });
            Console.WriteLine(caption.Text);
            return 0;
        });
        shapes.Subcommands.Add(render);

        var count = new Option<int>("--count") { Description = "number of scenes", DefaultValueFactory = _ => 64 };
        var folder = new Option<string>("--out") { Description = "folder to write (PNGs and captions.csv)", Required = true };
        var dataSeed = new Option<ulong>("--seed") { Description = "training-stream seed", DefaultValueFactory = _ => 20240627 };
        var export = new Command("export", "Write training scenes as PNGs + captions.csv, the layout `icd train` reads");
        foreach (var o in new Option[] { count, folder, dataSeed }) export.Options.Add(o);
        export.SetAction(parse =>
        {
            string csv = ShapesExport.Write(parse.GetValue(folder)!, parse.GetValue(dataSeed), parse.GetValue(count));
            Console.WriteLine($"{parse.GetValue(count)} scenes; captions in {csv}");
            return 0;
        });
        shapes.Subcommands.Add(export);
        return shapes;
    }
}
