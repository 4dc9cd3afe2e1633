using Icd.Imaging;

namespace Icd.Shapes.Tests;

public class GenerationJudgeTests
{
    private static IEnumerable<Scene> Scenes(int count)
    {
        var generator = new SceneGenerator();
        for (ulong seed = 1; seed <= (ulong)count; seed++) yield return generator.Generate(seed);
    }

    [Fact]
    public void ASceneRenderingFollowsItsCaption()
    {
        foreach (var scene in Scenes(80))
        {
            var verdict = GenerationJudge.Judge(scene, ShapesRenderer.Render(scene, 64));
            Assert.True(verdict.All, $"{string.Join(", ", scene.Objects)}: {verdict.Reason}");
            Assert.Equal(scene.Objects.Count, verdict.Objects.Count);
        }
    }

    [Fact]
    public void MeasuredColourIsTheColourRenderedWhereTheObjectIs()
    {
        foreach (var scene in Scenes(20))
        {
            var obj = scene.Objects[0];
            Assert.Equal(obj.Colour, GenerationJudge.MeasuredColour(obj, ShapesRenderer.Render(scene, 64)));
            // Every other colour an object may have (not the background's) is read back as itself.
            foreach (var colour in Palette.All.Where(c => c != obj.Colour && c != scene.Background))
                Assert.Equal(colour, GenerationJudge.MeasuredColour(obj, ShapesRenderer.Render(scene.WithObject(0, obj with { Colour = colour }), 64)));
        }
    }

    [Fact]
    public void MeasuredColourNamesANonSquareImage()
    {
        var scene = Scenes(1).First();
        var ex = Assert.Throws<ArgumentException>(() => GenerationJudge.MeasuredColour(scene.Objects[0], new RgbImage(64, 32, new byte[64 * 32 * 3])));
        Assert.Contains("64×32", ex.Message);
    }

    [Fact]
    public void ARecolouredObjectFailsAndOnlyIt()
    {
        foreach (var scene in Scenes(40))
        {
            for (int i = 0; i < scene.Objects.Count; i++)
            {
                var colour = Palette.All.First(c => c != scene.Background && c != scene.Objects[i].Colour);
                var image = ShapesRenderer.Render(scene.WithObject(i, scene.Objects[i] with { Colour = colour }), 64);
                var verdict = GenerationJudge.Judge(scene, image);
                Assert.True(verdict.Background, verdict.Reason);
                for (int j = 0; j < scene.Objects.Count; j++) Assert.Equal(j != i, verdict.Objects[j]);
                Assert.NotEqual("as captioned", verdict.Reason);
            }
        }
    }

    [Fact]
    public void AMissingObjectOrAWrongBackgroundFails()
    {
        foreach (var scene in Scenes(40).Where(s => s.Objects.Count > 1))
        {
            var verdict = GenerationJudge.Judge(scene, ShapesRenderer.Render(scene.WithoutObject(0), 64));
            Assert.False(verdict.Objects[0]);
            Assert.True(verdict.Objects.Skip(1).All(o => o), verdict.Reason);
            Assert.Contains("px in its colour", verdict.Reason);

            var other = Palette.Backgrounds.First(c => c != scene.Background && scene.Objects.All(o => o.Colour != c));
            var wrongBackground = GenerationJudge.Judge(scene, ShapesRenderer.Render(scene.WithBackground(other), 64));
            Assert.False(wrongBackground.Background);
            Assert.False(wrongBackground.All);
        }
        var one = new Scene(Colour.Gray, [new ShapeObject(Shape.Circle, Colour.Red, ObjectSize.Large, GridPosition.Center)]);
        var (r, g, b) = Palette.Rgb(Colour.Gray);
        var blank = GenerationJudge.Judge(one, RgbImage.Blank(64, 64, r, g, b));
        Assert.True(blank.Background);
        Assert.False(blank.Objects[0]);
    }

    [Fact]
    public void GrainDoesNotChangeTheVerdict()
    {
        var rng = new SplitMix64(11);
        foreach (var scene in Scenes(20))
        {
            var image = ShapesRenderer.Render(scene, 64);
            var pixels = (byte[])image.Pixels.Clone();
            for (int p = 0; p < pixels.Length; p++) pixels[p] = (byte)Math.Clamp(pixels[p] + rng.NextInt(41) - 20, 0, 255);
            var verdict = GenerationJudge.Judge(scene, new RgbImage(64, 64, pixels));
            Assert.True(verdict.All, verdict.Reason);
        }
    }
}
