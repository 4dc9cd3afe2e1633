using System.Text.Json;
using Icd.Benchmarks;
using Icd.Benchmarks.PieBench;
using Icd.Metrics;
using Icd.Pipelines;

namespace Icd.Tests;

/// <summary>PIE-Bench's data handling against its evaluation code (evaluate.py's mask_decode, [ ]
/// stripping, masked metrics), and <c>icd eval pie-bench</c> end to end on a PIE-format set of
/// Shapes edits with the bundled Shapes model and the reference cases' small metric networks.</summary>
public class PieBenchTests
{
    /// <summary>evaluate.py's mask_decode by hand: runs (start, length) in row-major order, clipped
    /// at the end, then the border set.</summary>
    [Fact]
    public void MaskDecodeFollowsPieBench()
    {
        var mask = PieMask.Decode([6, 2, 14, 5], 4, 5);   // 20 pixels: 6,7 and 14..18 (19 clipped away by length 20)
        var expected = new bool[20];
        foreach (int p in new[] { 6, 7, 14, 15, 16, 17, 18 }) expected[p] = true;
        for (int x = 0; x < 5; x++) expected[x] = expected[15 + x] = true;   // top and bottom rows
        for (int y = 0; y < 4; y++) expected[y * 5] = expected[y * 5 + 4] = true;   // left and right columns
        Assert.Equal(expected, mask);
        Assert.Throws<InvalidDataException>(() => PieMask.Decode([1, 2, 3]));
        var inner = new bool[25];
        inner[12] = inner[13] = true;
        Assert.Equal([12L, 2], PieMask.Encode(inner));
    }

    [Fact]
    public void MaskedMetricsBlackOutLikePie()
    {
        var image = Icd.Imaging.RgbImage.Blank(2, 1, 100, 150, 200);
        var masked = PieBenchMetrics.Masked(image, [true, false]);
        Assert.Equal(new byte[] { 100, 150, 200, 0, 0, 0 }, masked.Pixels);
    }

    [Fact]
    public void ReadsPieMappingAndIcdCsvLayouts()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("mapping_file.json"), """
            {"000000000001": {"image_path": "0_random_140/000000000001.jpg", "original_prompt": "a [cat] sitting", "editing_prompt": "a [dog] sitting",
              "editing_instruction": "x", "editing_type_id": "0", "blended_word": "cat dog", "mask": [0, 3]}}
            """);
        var item = Assert.Single(PieBenchData.Load(dir.Path));
        Assert.Equal(("a cat sitting", "a dog sitting", "0"), (item.SourcePrompt, item.TargetPrompt, item.EditingType));
        Assert.Equal(("cat", "dog"), item.BlendedWords);
        Assert.EndsWith(Path.Combine("annotation_images", "0_random_140", "000000000001.jpg"), item.ImagePath);
        Assert.Equal(512 * 512, item.Mask!.Length);

        File.WriteAllText(dir.File("editing_coco.csv"), ",Unnamed: 0,file_name,old_caption,edited_caption,blended_words\n" +
            "0,0,COCO_1.jpg,\"A child, sitting.\",\"A lion, sitting.\",\"('child', 'lion')\"\n");
        var coco = Assert.Single(PieBenchData.Load(dir.File("editing_coco.csv")));
        Assert.Equal(("A child, sitting.", "A lion, sitting."), (coco.SourcePrompt, coco.TargetPrompt));
        Assert.Equal(("child", "lion"), coco.BlendedWords);
        Assert.Null(coco.Mask);
        Assert.Throws<FileNotFoundException>(() => PieBenchData.Load(dir.File("none")));
    }

    /// <summary>The whole command on 6 Shapes edits (one per kind) with two methods: every row
    /// logged, every protocol's table with every metric, the per-type table, grid and trade-off plot;
    /// a second run resumes without editing again.</summary>
    [Fact]
    public void RunsEndToEndAndResumes()
    {
        using var dir = new TempDir();
        ShapesPieData.Write(dir.File("pie"), perKind: 1, split: Icd.Shapes.ShapesSplit.Train);
        var items = PieBenchData.Load(dir.File("pie"));
        Assert.Equal(6, items.Count);
        using var model = IcdModel.Load(Path.Combine(Paths.RepositoryRoot, "models", "shapes", "icd.json"));
        using var networks = new MetricNetworks(SmallNetworks(dir));
        var options = new PieBenchOptions { OutputFolder = dir.File("run"), Methods = ["p2p", "switch"], Limit = 3 };
        var rows = PieBenchRun.Run(model, items, networks, options);

        Assert.Equal(6, rows.Count);
        Assert.Empty(networks.Unavailable);
        foreach (var row in rows)
            foreach (var (name, _, _) in PieBenchMetrics.Columns)
                Assert.True(row.Metrics[name] is not null, $"{row.Item}/{row.Method}: {name} missing");
        string report = File.ReadAllText(dir.File("run/report.md"));
        foreach (var section in new[] { "## PIE", "## iCD", "## IaE", "## By editing type", "structure_distance", "clip_edited", "imagereward", "| p2p | 3 |" })
            Assert.Contains(section, report);
        Assert.True(File.Exists(dir.File("run/grid.png")));
        Assert.True(File.Exists(dir.File("run/tradeoff.svg")));
        using var results = JsonDocument.Parse(File.ReadAllText(dir.File("run/results.json")));
        Assert.Equal(3, results.RootElement.GetProperty("methods").GetProperty("switch").GetProperty("items").GetInt32());

        var before = File.GetLastWriteTimeUtc(dir.File("run/images/p2p/000000000000.png"));
        var again = PieBenchRun.Run(model, items, networks, options);
        Assert.Equal(6, again.Count);
        Assert.Equal(6, File.ReadAllLines(dir.File("run/results.jsonl")).Length);
        Assert.Equal(before, File.GetLastWriteTimeUtc(dir.File("run/images/p2p/000000000000.png")));
    }

    /// <summary>The reference cases' small networks laid out where <see cref="MetricWeights"/> looks
    /// (CLIP with its processor at its 32² input and the Shapes tokenizer, whose end token is its largest id).</summary>
    internal static MetricWeights SmallNetworks(TempDir dir)
    {
        string metrics = dir.File("metrics");
        Directory.CreateDirectory(Path.Combine(metrics, "lpips-v0.1"));
        string lpips = Path.Combine(AppContext.BaseDirectory, "Data", "lpips");
        File.Copy(Path.Combine(lpips, "alex_features.pth"), Path.Combine(metrics, "alexnet-owt-7be5be79.pth"));
        File.Copy(Path.Combine(lpips, "alex_lin.pth"), Path.Combine(metrics, "lpips-v0.1", "alex.pth"));
        File.Copy(Path.Combine(lpips, "squeeze_features.pth"), Path.Combine(metrics, "squeezenet1_1-b8a52dc0.pth"));
        File.Copy(Path.Combine(lpips, "squeeze_lin.pth"), Path.Combine(metrics, "lpips-v0.1", "squeeze.pth"));
        string clip = dir.File("clip");
        Directory.CreateDirectory(clip);
        foreach (var f in new[] { "config.json", "model.safetensors" })
            File.Copy(Path.Combine(Paths.MetricReference, "tiny-clip", "model", f), Path.Combine(clip, f));
        foreach (var f in new[] { "vocab.json", "merges.txt" })
            File.Copy(Path.Combine(Paths.RepositoryRoot, "models", "shapes", "model", "tokenizer", f), Path.Combine(clip, f));
        File.WriteAllText(Path.Combine(clip, "preprocessor_config.json"), """{"size": {"shortest_edge": 32}, "crop_size": {"height": 32, "width": 32}}""");
        return new MetricWeights
        {
            Folder = metrics, ClipLarge = clip,
            Dinov2 = Path.Combine(Paths.MetricReference, "tiny-dinov2", "model"),
            Dino = Path.Combine(Paths.MetricReference, "tiny-dino-vit", "model"),
            ImageReward = Path.Combine(Paths.MetricReference, "tiny-imagereward", "model"),
            BertVocabulary = Path.Combine(Paths.MetricReference, "tiny-imagereward", "model"),
        };
    }
}
