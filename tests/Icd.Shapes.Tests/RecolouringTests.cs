namespace Icd.Shapes.Tests;

/// <summary>The counterfactual scenes of the teacher's recolouring: only object colours change, at
/// least one always does, each other object half the time, and never to the background's colour.</summary>
public class RecolouringTests
{
    private static readonly Scene ThreeObjects = new(Colour.Gray,
    [
        new ShapeObject(Shape.Circle, Colour.Red, ObjectSize.Large, GridPosition.TopLeft),
        new ShapeObject(Shape.Square, Colour.Blue, ObjectSize.Small, GridPosition.Center),
        new ShapeObject(Shape.Star, Colour.Yellow, ObjectSize.Large, GridPosition.BottomRight),
    ], new SceneTexture(TextureKind.Gradient, 10, 5));

    [Fact]
    public void OnlyObjectColoursChangeAndAtLeastOneDoes()
    {
        for (ulong seed = 0; seed < 300; seed++)
        {
            var r = Recolouring.Recolour(ThreeObjects, seed);
            Assert.Equal(r, Recolouring.Recolour(ThreeObjects, seed));
            Assert.Equal(ThreeObjects.Background, r.Background);
            Assert.Equal(ThreeObjects.Texture, r.Texture);
            Assert.Equal(ThreeObjects.Objects.Select(o => o with { Colour = Colour.Red }), r.Objects.Select(o => o with { Colour = Colour.Red }));
            Assert.Contains(r.Objects.Zip(ThreeObjects.Objects), p => p.First.Colour != p.Second.Colour);
            Assert.DoesNotContain(r.Objects, o => o.Colour == Colour.Gray);
        }
    }

    [Fact]
    public void EachObjectChangesAboutTwoThirdsOfTheTime()
    {
        // One of three objects always changes, the others with probability ½: P(change) = ⅓ + ⅔·½ = ⅔.
        var changed = new int[3];
        const int n = 3000;
        for (ulong seed = 0; seed < n; seed++)
        {
            var r = Recolouring.Recolour(ThreeObjects, seed);
            for (int i = 0; i < 3; i++) if (r.Objects[i].Colour != ThreeObjects.Objects[i].Colour) changed[i]++;
        }
        foreach (var c in changed) Assert.InRange(c / (double)n, 2.0 / 3 - 0.04, 2.0 / 3 + 0.04);
    }
}
