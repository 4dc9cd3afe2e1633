using System.Diagnostics;
using Icd.Checkpoints;
using Icd.Denoising;
using Icd.Latents;
using Icd.Pipelines;
using Icd.Sampling;
using Icd.Text;
using Icd.Torch;

namespace Icd.Cli.Bench;

/// <summary><c>icd bench edit</c>: one iCD edit (4 forward + 4 reverse steps, Prompt-to-Prompt)
/// with per-phase timings, on a given model or on the full-size SD1.5 config with random weights.</summary>
internal static class EditBenchmark
{
    public static object Run(string? modelPath, string referenceRoot, string family, bool guided, DType dtype)
    {
        ModelBenchmark.ResetPeakRss(); // each run's own peak when several dtypes run in one process
        var sw = Stopwatch.StartNew();
        using var model = modelPath is not null ? IcdModel.Load(modelPath, null, dtype) : RandomModels.Build(family, referenceRoot, dtype);
        double load = sw.Elapsed.TotalSeconds;
        var pipeline = new IcdPipeline(model);
        var image = Icd.Imaging.RgbImage.Blank(model.ImageSize, model.ImageSize, 200, 120, 40);
        var phases = new List<object>();
        var progress = new Recorder(phases);
        int nfe, backward = 0;
        TimeSpan elapsed;
        if (guided)
        {
            var g = new Icd.Editing.Guidance.GuidedEditor(model).Edit(image, "a photo of a cat", "a photo of a dog", new Icd.Editing.Guidance.GuidedEditOptions(), progress);
            (nfe, backward, elapsed) = (g.Nfe, g.BackwardPasses, g.Elapsed);
        }
        else
        {
            var r = pipeline.Edit(image, "a photo of a cat", "a photo of a dog", new EditOptions(), progress);
            (nfe, elapsed) = (r.Nfe, r.Elapsed);
        }
        return new
        {
            benchmark = guided ? "edit (guided, Inverse-and-Edit)" : "edit (iCD + Prompt-to-Prompt)",
            model = modelPath ?? $"{(family == "sdxl" ? "SDXL" : "SD1.5")} config, random weights",
            dtype = InferencePrecision.Name(dtype),
            image_size = model.ImageSize,
            threads = TorchRuntime.Threads,
            load_seconds = load,
            nfe,
            backward_passes = backward,
            edit_seconds = elapsed.TotalSeconds,
            peak_rss_gb = Math.Round(ModelBenchmark.PeakRssBytes() / 1e9, 2),
            phases,
        };
    }

    private sealed class Recorder(List<object> phases) : IProgress<StepProgress>
    {
        private TimeSpan _last = TimeSpan.Zero;

        public void Report(StepProgress p)
        {
            phases.Add(new { phase = p.Phase.ToString().ToLowerInvariant(), step = p.Step, seconds = (p.Elapsed - _last).TotalSeconds });
            _last = p.Elapsed;
        }
    }
}
