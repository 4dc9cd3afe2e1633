using Icd.Shapes;

namespace Icd.Tests;

/// <summary>A Shapes build in parts: the model and the ablations after a shared base, side by side
/// (the CLI runs each in its own process; here each runs on its own builder).</summary>
public class ShapesBuildPartsTests
{
    [Fact]
    public void APartAfterTheBaseIsRefusedUntilTheBaseIsBuilt()
    {
        using var dir = new TempDir();
        var builder = new ShapesBuilder(dir.File("model"), dir.File("runs"), ShapesBuildOptions.Quick);
        foreach (var part in new[] { ShapesBuildParts.Model, ShapesBuildParts.Ablations })
        {
            var e = Assert.Throws<InvalidOperationException>(() => builder.Build(part));
            Assert.Contains("base", e.Message);
            Assert.Contains(Path.Combine("unet", "diffusion_pytorch_model.safetensors"), e.Message);
        }
        Assert.False(Directory.Exists(dir.File("runs")), "a refused part trained nothing");
    }

    [Fact]
    public void ABuildInPartsRunsEachPartOnceAndReportsAFailedPart()
    {
        using var dir = new TempDir();
        string model = dir.File("model"), runs = dir.File("runs");
        var builder = new ShapesBuilder(model, runs, ShapesBuildOptions.Quick);

        // A failed part stops the other one and is reported as itself, not as the other's cancellation.
        var stopped = new TaskCompletionSource();
        var failure = Assert.Throws<InvalidOperationException>(() => builder.BuildInParts(async (part, ct) =>
        {
            if (part == ShapesBuildParts.Base)
            {
                new ShapesBuilder(model, runs, ShapesBuildOptions.Quick).Build(part);
                return;
            }
            if (part == ShapesBuildParts.Model) throw new InvalidOperationException("the model part broke");
            try { await Task.Delay(Timeout.Infinite, ct); }
            finally { stopped.SetResult(); }
        }, sideBySide: true));
        Assert.Equal("the model part broke", failure.Message);
        Assert.True(stopped.Task.IsCompleted, "the ablations part was stopped");
        Assert.False(File.Exists(Path.Combine(model, "icd.json")), "no manifest without students");

        // Run again: each part runs once on a builder of its own (the base finds its outputs), then the manifests are written.
        Assert.True(File.Exists(Path.Combine(runs, "vae-moments.safetensors")), "the base saved the pool's VAE moments");
        var parts = new List<ShapesBuildParts>();
        var logs = new List<string>();
        builder.BuildInParts((part, _) =>
        {
            parts.Add(part);
            var partBuilder = new ShapesBuilder(model, runs, ShapesBuildOptions.Quick);
            partBuilder.Log += line => logs.Add($"{part}: {line}");
            partBuilder.Build(part); // one after the other: processes, not threads, run them at once
            return Task.CompletedTask;
        }, sideBySide: true);
        Assert.Equal([ShapesBuildParts.Base, ShapesBuildParts.Model, ShapesBuildParts.Ablations], parts);
        foreach (var part in new[] { ShapesBuildParts.Model, ShapesBuildParts.Ablations })
            Assert.Contains(logs, line => line.StartsWith($"{part}: vae moments: ")); // each part starts with the base's encodings
        foreach (var manifest in new[] { "icd.json", ShapesBuilder.CycleManifest, ShapesBuilder.ManifestOf(ShapesBuilder.NoPreservationPrefix), ShapesBuilder.ManifestOf(ShapesBuilder.LfOnlyPrefix) })
            Assert.True(File.Exists(Path.Combine(model, manifest)), manifest);
        Assert.Empty(Directory.GetFiles(model, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void TheModelPartRunsFromAReleasedModelFolderWithoutTeacherCheckpoints()
    {
        // A shipped model has the tokenizer, VAE, CLIP and guidance-distilled UNet, but none of the teacher's
        // checkpoints: students can be distilled again from it into a fresh work folder.
        using var dir = new TempDir();
        string built = dir.File("built"), released = dir.File("released"), runs = dir.File("runs");
        new ShapesBuilder(built, dir.File("built-runs"), ShapesBuildOptions.Quick).Build(ShapesBuildParts.Base);
        CopyDirectory(Path.Combine(built, "model"), Path.Combine(released, "model"));
        File.Copy(Path.Combine(built, "clip.safetensors"), Path.Combine(released, "clip.safetensors"));

        new ShapesBuilder(released, runs, ShapesBuildOptions.Quick).Build(ShapesBuildParts.Model);

        Assert.True(File.Exists(Path.Combine(released, "icd.json")));
        Assert.True(File.Exists(Path.Combine(released, "cycle_forward.safetensors")));
        foreach (var phase in new[] { "teacher", "teacher-pyramid", "teacher-counterfactual", "guidance" })
            Assert.False(Directory.Exists(Path.Combine(runs, phase)), $"{phase} was not trained again");
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
