namespace Icd.Shapes.Tests;

public class ColourOutcomesTests
{
    private static Edit Recolour(Scene scene, Colour to) =>
        Edit.Create(EditKind.ChangeColour, scene, scene.WithObject(0, scene.Objects[0] with { Colour = to }), 0, 0, 64);

    private static JudgeResult Measured(Colour c, bool success) => new(EditKind.ChangeColour, success, "", c);

    [Fact]
    public void TalliesKeptSourceOtherColourSizeCompanyAndConfusions()
    {
        var alone = new Scene(Colour.Gray, [new ShapeObject(Shape.Circle, Colour.Red, ObjectSize.Large, GridPosition.Center)]);
        var crowded = new Scene(Colour.Gray,
        [
            new ShapeObject(Shape.Square, Colour.Green, ObjectSize.Small, GridPosition.Left),
            new ShapeObject(Shape.Star, Colour.Yellow, ObjectSize.Large, GridPosition.Right),
        ]);
        var redToBlue = Recolour(alone, Colour.Blue);
        var greenToBlue = Recolour(crowded, Colour.Blue);
        var outcomes = ColourOutcomes.Of(
        [
            (redToBlue, Measured(Colour.Blue, true)), // right
            (redToBlue, Measured(Colour.Red, false)), // kept its source colour
            (greenToBlue, Measured(Colour.Cyan, false)), // a third colour, twice
            (greenToBlue, Measured(Colour.Cyan, false)),
            (greenToBlue, Measured(Colour.Green, false)), // kept
        ]);
        Assert.Equal((5, 1, 2, 2), (outcomes.Edits, outcomes.Right, outcomes.KeptSource, outcomes.OtherColour));
        Assert.Equal(new ColourOutcomes.Tally(0, 3), outcomes.Small);
        Assert.Equal(new ColourOutcomes.Tally(1, 2), outcomes.Large);
        Assert.Equal(new ColourOutcomes.Tally(1, 2), outcomes.Alone);
        Assert.Equal(new ColourOutcomes.Tally(0, 3), outcomes.WithOthers);
        Assert.Equal([new(Colour.Green, Colour.Blue, Colour.Cyan, 2), new(Colour.Red, Colour.Blue, Colour.Red, 1), new(Colour.Green, Colour.Blue, Colour.Green, 1)], outcomes.Confusions);
    }

    [Fact]
    public void RefusesOtherEditKindsAndVerdictsWithoutAColour()
    {
        var scene = new Scene(Colour.Gray, [new ShapeObject(Shape.Circle, Colour.Red, ObjectSize.Large, GridPosition.Center)]);
        var recolour = Recolour(scene, Colour.Blue);
        var reshape = Edit.Create(EditKind.ChangeShape, scene, scene.WithObject(0, scene.Objects[0] with { Shape = Shape.Square }), 0, 0, 64);
        Assert.Contains("ChangeShape", Assert.Throws<ArgumentException>(() => ColourOutcomes.Of([(reshape, Measured(Colour.Red, false))])).Message);
        Assert.Contains("no measured colour", Assert.Throws<ArgumentException>(() => ColourOutcomes.Of([(recolour, new JudgeResult(EditKind.ChangeColour, false, ""))])).Message);
    }
}
