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
        var parts = new List<ShapesBuildParts>();
        builder.BuildInParts((part, _) =>
        {
            parts.Add(part);
            new ShapesBuilder(model, runs, ShapesBuildOptions.Quick).Build(part); // one after the other: processes, not threads, run them at once
            return Task.CompletedTask;
        }, sideBySide: true);
        Assert.Equal([ShapesBuildParts.Base, ShapesBuildParts.Model, ShapesBuildParts.Ablations], parts);
        foreach (var manifest in new[] { "icd.json", ShapesBuilder.CycleManifest, ShapesBuilder.ManifestOf(ShapesBuilder.NoPreservationPrefix), ShapesBuilder.ManifestOf(ShapesBuilder.LfOnlyPrefix) })
            Assert.True(File.Exists(Path.Combine(model, manifest)), manifest);
        Assert.Empty(Directory.GetFiles(model, "*.tmp", SearchOption.AllDirectories));
    }
}
