using Icd.Imaging;

namespace Icd.Shapes.Tests;

public class JudgeTests
{
    [Fact]
    public void GroundTruthTargetsAlwaysPass()
    {
        foreach (var edit in EditTests.SampleEdits(60))
        {
            var result = EditJudge.Judge(edit, edit.TargetImage);
            Assert.True(result.Success, $"{edit}: {result.Reason}");
            Assert.Equal(double.PositiveInfinity, EditJudge.Preservation(edit, edit.TargetImage));
        }
    }

    [Fact]
    public void UneditedSourcesAlwaysFail()
    {
        foreach (var edit in EditTests.SampleEdits(60))
        {
            var result = EditJudge.Judge(edit, edit.SourceImage);
            Assert.False(result.Success, $"{edit}: {result.Reason}");
        }
    }

    [Fact]
    public void ResultsCarryTheirMeasurements()
    {
        var scene = new Scene(Colour.Gray, [new ShapeObject(Shape.Circle, Colour.Red, ObjectSize.Large, GridPosition.Center)]);
        var recolour = Edit.Create(EditKind.ChangeColour, scene, scene.WithObject(0, scene.Objects[0] with { Colour = Colour.Blue }), 0, 0, 64);
        var verdict = EditJudge.Judge(recolour, recolour.SourceImage);
        Assert.Equal(Colour.Red, verdict.MeasuredColour);
        Assert.Contains("wanted blue", verdict.Reason);

        var reshape = Edit.Create(EditKind.ChangeShape, scene, scene.WithObject(0, scene.Objects[0] with { Shape = Shape.Square }), 0, 0, 64);
        var good = EditJudge.Judge(reshape, reshape.TargetImage);
        Assert.True(good.IouTarget > 0.95 && good.IouSource < good.IouTarget);
    }

    [Fact]
    public void AWrongColourOrAMissingObjectFails()
    {
        var scene = new Scene(Colour.White, [new ShapeObject(Shape.Star, Colour.Red, ObjectSize.Large, GridPosition.Top)]);
        var toBlue = Edit.Create(EditKind.ChangeColour, scene, scene.WithObject(0, scene.Objects[0] with { Colour = Colour.Blue }), 0, 0, 64);
        var toPurple = ShapesRenderer.Render(scene.WithObject(0, scene.Objects[0] with { Colour = Colour.Purple }), 64);
        Assert.False(EditJudge.Judge(toBlue, toPurple).Success);

        var toSmall = Edit.Create(EditKind.ChangeSize, scene, scene.WithObject(0, scene.Objects[0] with { Size = ObjectSize.Small }), 0, 0, 64);
        Assert.False(EditJudge.Judge(toSmall, RgbImage.Blank(64, 64, 245, 245, 245)).Success);
    }

    [Fact]
    public void ANoisyButCorrectEditStillPasses()
    {
        // A model's output is never exact: add ±20 grain everywhere and the verdicts must not change.
        var rng = new SplitMix64(5);
        foreach (var edit in EditTests.SampleEdits(15))
        {
            var pixels = (byte[])edit.TargetImage.Pixels.Clone();
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)Math.Clamp(pixels[i] + rng.NextInt(41) - 20, 0, 255);
            var result = EditJudge.Judge(edit, new RgbImage(64, 64, pixels));
            Assert.True(result.Success, $"{edit}: {result.Reason}");
            Assert.InRange(EditJudge.Preservation(edit, new RgbImage(64, 64, pixels)), 20, 30);
        }
    }

    [Fact]
    public void PreservationIsPsnrOutsideTheMask()
    {
        var a = RgbImage.Blank(4, 4, 100, 100, 100);
        var b = RgbImage.Blank(4, 4, 100, 100, 100);
        b[0, 0] = (0, 0, 0);      // inside the mask: ignored
        b[3, 3] = (110, 100, 100); // outside: one channel off by 10
        var mask = new bool[16];
        mask[0] = true;
        double expected = 10 * Math.Log10(255.0 * 255 * 45 / 100);
        Assert.Equal(expected, EditJudge.Preservation(a, b, new PixelMask(4, 4, mask)), 9);
        Assert.Equal(double.PositiveInfinity, EditJudge.Preservation(a, a, new PixelMask(4, 4, mask)));
        Assert.Throws<ArgumentException>(() => EditJudge.Preservation(a, b, new PixelMask(4, 4, Enumerable.Repeat(true, 16).ToArray())));
    }
}
