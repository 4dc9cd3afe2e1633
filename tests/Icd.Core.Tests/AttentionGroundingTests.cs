using Icd.Blocks;
using Icd.Shapes;
using Icd.Torch;
using Icd.Training;

namespace Icd.Tests;

/// <summary>The teacher's grounding loss: its value from a hand-computed table, the Shapes source's
/// word regions, and a teacher step that trains with it.</summary>
public class AttentionGroundingTests
{
    private static AttentionSite Site(AttentionKind kind) => new(AttentionPlace.Down, 0, 0, 0, kind, 0, 2, 2, 2);

    // Row 0: token 1 is grounded on coverage [1, 0.5, 0, 0] of a 2×2 image (the grid is the image).
    // Row 1 has no caption: it must not count. Keys: 3. Heads: 2. Probabilities per query sum to 1.
    private static readonly float[] Probabilities =
    [
        // row 0, head 0: queries 0..3 × keys 0..2; token 1's column is 0.6, 0.2, 0.1, 0.1
        0.2f, 0.6f, 0.2f, 0.5f, 0.2f, 0.3f, 0.8f, 0.1f, 0.1f, 0.4f, 0.1f, 0.5f,
        // row 0, head 1: token 1's column is 0.1, 0.1, 0.3, 0.5
        0.6f, 0.1f, 0.3f, 0.3f, 0.1f, 0.6f, 0.2f, 0.3f, 0.5f, 0.1f, 0.5f, 0.4f,
        // row 1 (dropped caption), both heads: anything
        0.1f, 0.8f, 0.1f, 0.1f, 0.8f, 0.1f, 0.1f, 0.8f, 0.1f, 0.1f, 0.8f, 0.1f,
        0.3f, 0.3f, 0.4f, 0.3f, 0.3f, 0.4f, 0.3f, 0.3f, 0.4f, 0.3f, 0.3f, 0.4f,
    ];

    [Fact]
    public void LossByHand()
    {
        // head 0: on the region 0.6·1 + 0.2·0.5 = 0.7 of 1.0 → (1 − 0.7)² = 0.09;
        // head 1: 0.1·1 + 0.1·0.5 = 0.15 of 1.0 → 0.85² = 0.7225; mean over heads and the one token: 0.40625.
        using var scope = new TensorScope();
        using var grounding = new AttentionGrounding([[([1], [1f, 0.5f, 0f, 0f])], []], imageSize: 2);
        var probs = Tensor.FromValues(Probabilities, 2, 2, 4, 3);
        Assert.Same(probs, grounding.Process(Site(AttentionKind.Self), probs)); // self-attention is not grounded
        Assert.Equal(0, grounding.Layers);
        Assert.Same(probs, grounding.Process(Site(AttentionKind.Cross), probs)); // recorded, returned unchanged
        Assert.Same(probs, grounding.Process(Site(AttentionKind.Cross), probs));
        Assert.Equal(2, grounding.Layers);
        Assert.Equal(0.40625, grounding.Loss().Item(), 6); // the mean over two equal layers
    }

    [Fact]
    public void CoverageIsAveragedDownToTheAttentionGrid()
    {
        // A 4×4 image on the 2×2 grid: the top-left cell's four pixels cover 1, 1, 1, 0 → 0.75.
        var coverage = new float[16];
        coverage[0] = coverage[1] = coverage[4] = 1;
        using var scope = new TensorScope();
        using var grounding = new AttentionGrounding([[([0], coverage)]], imageSize: 4);
        // All of token 0's attention on the top-left cell: share 0.75, loss 0.0625.
        var probs = Tensor.FromValues(new float[] { 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1 }, 1, 2, 4, 2);
        grounding.Process(Site(AttentionKind.Cross), probs);
        Assert.Equal(0.0625, grounding.Loss().Item(), 6);
    }

    [Fact]
    public void BadTargetsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new AttentionGrounding([[([1], new float[3])]], imageSize: 2));
        using var scope = new TensorScope();
        using var grounding = new AttentionGrounding([[([5], new float[4])], []], imageSize: 2);
        var probs = Tensor.FromValues(Probabilities, 2, 2, 4, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => grounding.Process(Site(AttentionKind.Cross), probs));
        using var wrongBatch = new AttentionGrounding([[([1], new float[4])]], imageSize: 2);
        Assert.Throws<InvalidOperationException>(() => wrongBatch.Process(Site(AttentionKind.Cross), probs));
    }

    [Fact]
    public void ShapesWordsAreGroundedOnTheirObjects()
    {
        var settings = SceneSettings.Default with { ImageSize = 32 };
        var source = new ShapesSource(5, 8, settings);
        var scene = new TrainingSet(5, settings).SceneAt(3);
        var caption = CaptionWriter.Describe(scene);
        var regions = source.Grounding(3);
        Assert.Equal(3 * scene.Objects.Count + 1, regions.Count); // size, colour and shape per object; the background word
        var background = Enumerable.Repeat(1f, 32 * 32).ToArray();
        for (int o = 0; o < scene.Objects.Count; o++)
        {
            var coverage = ShapesRenderer.Coverage(scene.Objects[o], 32).Values;
            for (int i = 0; i < background.Length; i++) background[i] = Math.Max(0, background[i] - coverage[i]);
            foreach (var kind in new[] { WordKind.Size, WordKind.Colour, WordKind.Shape })
                Assert.Equal(coverage, regions.Single(r => caption.Roles[r.WordIndex] == new WordRole(kind, o)).Coverage);
        }
        var last = regions.Single(r => caption.Roles[r.WordIndex].Kind == WordKind.Background);
        Assert.Equal(background, last.Coverage);
        Assert.Contains(last.Coverage, v => v == 1); // somewhere no object covers
        Assert.Equal(Words.Of(scene.Background), caption.Words[last.WordIndex]);
    }

    [Fact]
    public void ATeacherStepTrainsWithTheGroundingLoss()
    {
        using var net = Icd.Checkpoints.StableDiffusionLoader.Load(Paths.TinySd);
        var source = TinyTeacherData.Shapes();
        var data = TinyTeacherData.Batches(net, source);
        using var scope = new TensorScope();
        // The tokenizer splits the caption into the same words the grounding indexes.
        var caption = source.Caption(0);
        var prompt = net.Tokenizer.Tokenize(caption);
        foreach (var region in source.Grounding(0))
            Assert.Equal(caption.Split(' ')[region.WordIndex], prompt.Words[region.WordIndex]);
        using var stage = new TeacherStage(net.UNet, data, net.Schedule, TinyTeacherData.OneStep(2)) { GroundingWeight = 0.1 };
        var metrics = stage.Step(0);
        Assert.True(double.IsFinite(metrics["loss"]));
        Assert.InRange(metrics["grounding"], 1e-6, 1);
        Assert.Null(net.UNet.Hooks.Controller); // removed after the step
    }

    [Fact]
    public void ASourceWithoutWordRegionsIsRefusedByName()
    {
        using var net = Icd.Checkpoints.StableDiffusionLoader.Load(Paths.TinySd);
        var data = TinyTeacherData.Batches(net, new TinyTeacherData.Plain());
        var error = Assert.Throws<ArgumentException>(() => new TeacherStage(net.UNet, data, net.Schedule, TinyTeacherData.OneStep(1)) { GroundingWeight = 0.1 });
        Assert.Contains("IGroundingSource", error.Message);
    }
}
