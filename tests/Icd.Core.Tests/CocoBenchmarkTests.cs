using Icd.Benchmarks.Coco;
using Icd.Imaging;
using Icd.Metrics;
using Icd.Metrics.Fid;

using Icd.Pipelines;
using Icd.Torch;

namespace Icd.Tests;

/// <summary><c>icd eval coco-inversion</c> and <c>coco-generation</c> end to end on Shapes scenes laid out
/// as iCD's COCO CSV + image folder, with the bundled Shapes model and the reference cases' small
/// metric networks (VGG16 and the FID Inception regenerated from their seeds); the reports are
/// checked for their tables, not their numbers.</summary>
public class CocoBenchmarkTests
{
    private static (string Images, string Csv) ShapesAsCoco(TempDir dir, int count)
    {
        string images = dir.File("images");
        Directory.CreateDirectory(images);
        var lines = new List<string> { ",file_name,caption" };
        var edits = Icd.Shapes.ShapesBenchmark.Create(3, 1, Icd.Shapes.ShapesSplit.Train).Take(count).ToList();
        for (int i = 0; i < edits.Count; i++)
        {
            PngEncoder.Write(Path.Combine(images, $"COCO_{i}.png"), edits[i].SourceImage);
            lines.Add($"{i},COCO_{i}.png,\"{edits[i].SourceCaption.Text}\"");
        }
        File.WriteAllLines(dir.File("captions.csv"), lines);
        return (images, dir.File("captions.csv"));
    }

    private static MetricWeights WithVggAndInception(TempDir dir)
    {
        var weights = PieBenchTests.SmallNetworks(dir);
        using (var vgg = new Vgg16Features())
        {
            Icd.Reference.SeededWeights.Fill(vgg, 20261208, (name, shape, r) => name.EndsWith(".weight", StringComparison.Ordinal) ? Icd.Reference.SeededWeights.HeScaled(r, shape) : r * 0.05);
            // Converted weights kept under the released name: WeightSource tells the format by content.
            Icd.Torch.Serialization.SafetensorsWriter.Write(weights.Backbone("vgg"), vgg.NamedParameters().Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Parameter)));
        }
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Data", "lpips", "vgg_lin.pth"), weights.LpipsHead("vgg"));
        using (var inception = Icd.Reference.SeededWeights.Inception())
            Icd.Torch.Serialization.SafetensorsWriter.Write(dir.File("inception.safetensors"),
                inception.NamedParameters().Concat(inception.NamedBuffers()).Select(p => new KeyValuePair<string, Tensor>(p.Item1, p.Item2)));
        return weights with { Inception = dir.File("inception.safetensors") };
    }

    [Fact]
    public void InversionTableRunsEndToEnd()
    {
        using var dir = new TempDir();
        var (images, csv) = ShapesAsCoco(dir, 1);
        using var model = IcdModel.Load(Path.Combine(Paths.RepositoryRoot, "models", "shapes", "icd.json"));
        using var networks = new MetricNetworks(WithVggAndInception(dir));
        var items = CocoCaptions.Load(csv);
        var rows = CocoInversionRun.Run(model, images, items, networks, new CocoInversionOptions { OutputFolder = dir.File("run") });

        Assert.Equal(6, rows.Count);   // DDIM50 and fCD | CD, each unguided, guided, dynamic
        Assert.Empty(networks.Unavailable);
        Assert.All(rows, r => Assert.All(CocoInversionRun.Columns, c => Assert.NotNull(r.Metrics[c.Name])));
        Assert.All(rows.Where(r => r.Method.StartsWith("DDIM50", StringComparison.Ordinal)), r => Assert.Equal(100, r.Nfe));
        string report = File.ReadAllText(dir.File("run/report.md"));
        foreach (var s in new[] { "## iCD Table 2", "## Inverse-and-Edit reconstruction", "DDIM50 \\| DDIM50 (unguided)", "lpips_icd", "dinov2" })
            Assert.Contains(s.Replace("\\|", "|", StringComparison.Ordinal), report);
        Assert.True(File.Exists(dir.File("run/grid.png")));
    }

    [Fact]
    public void GenerationTableRunsEndToEndWithFid()
    {
        using var dir = new TempDir();
        var (images, csv) = ShapesAsCoco(dir, 3);
        var weights = WithVggAndInception(dir);
        // Reference statistics of the "real" images, through the same Inception.
        using (var inception = FidInceptionV3.Load(weights.Inception))
        using (var scope = new TensorScope())
            FidStatistics.FromFeatures(FidFeatures.Extract(inception, FidFeatures.FilesIn(images))).Save(dir.File("ref.npz"));
        using var model = IcdModel.Load(Path.Combine(Paths.RepositoryRoot, "models", "shapes", "icd.json"));
        using var networks = new MetricNetworks(weights);
        var options = new CocoGenerationOptions { OutputFolder = dir.File("run"), Taus = [1, 0.8], FidStatistics = dir.File("ref.npz"), FidSize = 64 };
        var rows = CocoGenerationRun.Run(model, CocoCaptions.Load(csv), networks, options);

        Assert.Equal(3 * 2, rows.Count);
        Assert.All(rows, r => Assert.NotNull(r.Metrics["clip_score"]));
        string report = File.ReadAllText(dir.File("run/report.md"));
        Assert.Contains("## iCD Table 4", report);
        Assert.Contains("## FID (over each method's whole set)", report);
        Assert.Contains("dynamic CFG τ = 0.8", report);
    }
}
