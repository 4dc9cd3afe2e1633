using Icd.Pipelines;
using Icd.Shapes;
using Icd.Text;

namespace Icd.Tests;

/// <summary>The Shapes world's model build, in quick mode, from nothing to an edit.</summary>
public class ShapesBuildTests
{
    [Fact]
    public void BpeTokenizerCoversTheGrammar()
    {
        using var dir = new TempDir();
        var set = new TrainingSet(1);
        var captions = Enumerable.Range(0, 500).Select(i => set.Get(i).Caption.Text).ToList();
        BpeTrainer.Train(captions, dir.Path);
        var tok = ClipTokenizer.Load(dir.Path);
        foreach (var caption in captions.Take(50))
        {
            var t = tok.Tokenize(caption);
            Assert.Equal(caption, tok.Decode(t.Ids).Replace(" ,", ",")); // CLIP decoding puts a space before punctuation
            // Every grammar word was merged into a single token.
            Assert.Equal(caption.Split(' ').Length + caption.Count(c => c == ','), t.Ids.Count(id => id != tok.BosId && id != tok.EosId));
        }
    }

    [Fact]
    public void QuickBuildProducesAnEditableModel()
    {
        using var dir = new TempDir();
        string model = Path.Combine(dir.Path, "model");
        var builder = new ShapesBuilder(model, Path.Combine(dir.Path, "runs"), ShapesBuildOptions.Quick);
        builder.Build();
        Assert.True(File.Exists(Path.Combine(model, "icd.json")));
        // iCD inverts from the noised latent at t = 19 (METHOD B4); so does the Shapes build's Inverse-and-Edit,
        // whose cycle loss starts there (ShapesBuildOptions.CycleStart; METHOD D2: t = 0).
        Assert.Equal([19L, 259, 519, 779], IcdManifest.Load(Path.Combine(model, "icd.json")).ForwardTimesteps!);
        Assert.Equal([19L, 259, 519, 779], IcdManifest.Load(Path.Combine(model, ShapesBuilder.CycleManifest)).ForwardTimesteps!);
        long bytes = Directory.GetFiles(model, "*.safetensors", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.True(bytes < 25 << 20, $"weights take {bytes / 1e6:F1} MB");
        using var m = IcdModel.Load(model);
        Assert.NotNull(m.Forward.Adapter);
        var scene = new TrainingSet(3).Get(0);
        var caption = scene.Caption.Text;
        var edit = new IcdPipeline(m).Edit(scene.Image, caption, caption.Replace(scene.Caption.Words[2], "purple"), new EditOptions());
        Assert.Equal(64, edit.Image.Width);
        // Table 2's ablation students come with manifests that load on the shared base model.
        foreach (var ablation in new[] { "no-preservation-icd.json", "lf-only-icd.json" })
        {
            using var a = IcdModel.Load(Path.Combine(model, "ablations", ablation));
            Assert.NotNull(a.Reverse.Adapter);
        }
        // The evaluation reports every student row with the Shapes-LPIPS column.
        string report = new ShapesEvaluator(model, Path.Combine(dir.Path, "report"), ShapesEvalOptions.Quick with { EditsPerKind = 1, InversionImages = 1 }).Run();
        Assert.Contains("Shapes-LPIPS", report);
        foreach (var row in new[] { "(no preservation)", "fCD4 + L_f \\| CD4 (unguided)", "cycle (from t = 19)" }) Assert.Contains(row, report);
        Assert.True(File.Exists(Path.Combine(dir.Path, "report", "grid.png")));
        Assert.Contains("| of them, in one-object captions |", report);
        // The round trip by depth: the VAE alone, then one row per forward boundary.
        var depthRows = report.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\| [0-4] \| ")).ToList();
        Assert.Equal(5, depthRows.Count);
        Assert.StartsWith("| 0 | – (VAE only) |", depthRows[0]);
        Assert.StartsWith("| 4 | 999 |", depthRows[4]);
        // Full depth is the unguided iCD reconstruction of the inversion table, computed by the pipeline.
        using (var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "report", "results.json"))))
        {
            double full = results.RootElement.GetProperty("depth")[4].GetProperty("Psnr").GetDouble();
            double table = results.RootElement.GetProperty("inversion").EnumerateArray()
                .Single(r => r.GetProperty("Name").GetString() == "fCD4 + L_f | CD4 + L_r (unguided)").GetProperty("Psnr").GetDouble();
            Assert.Equal(table, full, 6);
            // The targets: with one image the inversion comparisons have no interval, so the first three
            // can only be met or missed within noise; the colour target is checked for each few-step editor.
            var targets = results.RootElement.GetProperty("targets").EnumerateArray().ToList();
            Assert.Equal(6, targets.Count);
            Assert.All(targets.Take(3), t => Assert.EndsWith("WithinNoise", t.GetProperty("Verdict").GetString()));
        }
        Assert.Contains("## Targets", report);
        // The colour-binding check: a row per method and its grid (10 colours × 1 seed, teacher then student).
        string binding = report[report.IndexOf("## Colour binding", StringComparison.Ordinal)..];
        Assert.Equal(["| DDIM10 (teacher)", "| iCD reverse"], binding.Split('\n').Where(l => l.StartsWith("| DDIM") || l.StartsWith("| iCD")).Select(l => l[..l.IndexOf(',')]));
        Assert.True(File.Exists(Path.Combine(dir.Path, "report", "colour-binding.png")));
        // Tuning runs: training-stream scenes, one edit kind, no inversion table.
        string tuning = new ShapesEvaluator(model, Path.Combine(dir.Path, "tuning"), ShapesEvalOptions.Quick with
            { EditsPerKind = 1, ColourEdits = 2, InversionImages = 0, Split = ShapesSplit.Train, Kinds = [EditKind.ChangeColour], BindingSeeds = 0 }).Run();
        Assert.Contains("training-stream", tuning);
        Assert.DoesNotContain("## Inversion", tuning);
        // Colour edits have their own count (the target is checked on them).
        using (var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "tuning", "results.json"))))
            Assert.All(results.RootElement.GetProperty("editing").EnumerateArray(),
                r => Assert.Equal(2, r.GetProperty("PerEdit").GetProperty("Success").GetArrayLength()));
        // Four editing methods, the two confined to the true change mask, and the ceiling row (the ground truth through the VAE, no network evaluations).
        Assert.Equal(7, tuning.Split('\n').Count(l => l.StartsWith("| ChangeColour |")));
        Assert.Contains($"| ChangeColour | {ShapesEvaluator.VaeCeiling} |", tuning);
        Assert.Contains($"| ChangeColour | {ShapesEvaluator.ExactMaskIcd} |", tuning);
        Assert.DoesNotContain("| ChangeShape |", tuning);
        Assert.DoesNotContain("## Colour binding", tuning);
        // A second build finds every stage's output and does nothing.
        builder.Build();
        // A teacher phase that would train again under the distilled UNet of the old teacher is refused by name.
        Directory.Delete(Path.Combine(dir.Path, "runs", "teacher-pyramid"), recursive: true);
        var stale = Assert.Throws<InvalidOperationException>(() => builder.Build());
        Assert.Contains("distilled from an earlier teacher", stale.Message);
        Assert.Contains("teacher-pyramid", stale.Message);
    }
}
