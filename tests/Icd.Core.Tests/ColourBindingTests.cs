using Icd.Shapes;

namespace Icd.Tests;

public class ColourBindingTests
{
    private static IReadOnlyList<Colour> Row(params Colour[] perSeed) => perSeed;

    [Fact]
    public void SeedShareOfAModelThatReadsEveryColourWordIsOneOverTheCaptions()
    {
        // Caption c comes out in its own colour on both seeds.
        var measured = ColourBindingTable.Colours.Select(c => Row(c, c)).ToList();
        Assert.Equal(1.0 / ColourBindingTable.Colours.Count, ColourBindingTable.SeedShare(measured), 12);
    }

    [Fact]
    public void SeedShareOfAModelThatTakesColourFromTheNoiseIsOne()
    {
        // Seed 0 always gives cyan, seed 1 always yellow, whatever the caption.
        var measured = ColourBindingTable.Colours.Select(_ => Row(Colour.Cyan, Colour.Yellow)).ToList();
        Assert.Equal(1.0, ColourBindingTable.SeedShare(measured), 12);
    }

    [Fact]
    public void SeedShareAveragesTheLargestGroupPerSeed()
    {
        // Seed 0: red, red, blue, green → 2/4. Seed 1: all black → 4/4. Seed 2: four colours → 1/4.
        var measured = new[]
        {
            Row(Colour.Red, Colour.Black, Colour.Red),
            Row(Colour.Red, Colour.Black, Colour.Blue),
            Row(Colour.Blue, Colour.Black, Colour.Green),
            Row(Colour.Green, Colour.Black, Colour.Yellow),
        };
        Assert.Equal((0.5 + 1.0 + 0.25) / 3, ColourBindingTable.SeedShare(measured), 12);
    }

    [Fact]
    public void SeedShareRefusesRaggedOrEmptyInput()
    {
        Assert.Throws<ArgumentException>(() => ColourBindingTable.SeedShare([]));
        var ex = Assert.Throws<ArgumentException>(() => ColourBindingTable.SeedShare([Row(Colour.Red, Colour.Blue), Row(Colour.Red)]));
        Assert.Contains("same number of seeds", ex.Message);
    }

    [Fact]
    public void TheCheckLeavesTheBackgroundColourOutAndDrawsOneCentredCircle()
    {
        Assert.DoesNotContain(ColourBindingTable.Background, ColourBindingTable.Colours);
        Assert.Equal(Palette.All.Length - 1, ColourBindingTable.Colours.Count);
        var scene = ColourBindingTable.SceneOf(Colour.Red);
        Assert.Equal("a large red circle in the center on a gray background", CaptionWriter.Describe(scene).Text);
    }

    [Fact]
    public void NegativeBindingSeedsAreRefusedBeforeAnythingLoads()
    {
        var evaluator = new ShapesEvaluator("/nonexistent/model", Path.Combine(Path.GetTempPath(), "icd-binding-test"), new ShapesEvalOptions { BindingSeeds = -1 });
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => evaluator.Run());
        Assert.Contains("binding seeds (-1)", ex.Message);
    }
}
