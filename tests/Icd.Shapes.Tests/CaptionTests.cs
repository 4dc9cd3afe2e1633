namespace Icd.Shapes.Tests;

public class CaptionTests
{
    private static ShapeObject Obj(Shape s, Colour c, ObjectSize z, GridPosition p) => new(s, c, z, p);

    [Fact]
    public void OneObject()
    {
        var scene = new Scene(Colour.White, [Obj(Shape.Star, Colour.Yellow, ObjectSize.Small, GridPosition.Center)]);
        Assert.Equal("a small yellow star in the center on a white background", CaptionWriter.Describe(scene).Text);
    }

    [Fact]
    public void TwoObjectsAreJoinedByAnd()
    {
        var scene = new Scene(Colour.Gray,
        [
            Obj(Shape.Circle, Colour.Red, ObjectSize.Large, GridPosition.Left),
            Obj(Shape.Square, Colour.Blue, ObjectSize.Small, GridPosition.TopRight),
        ]);
        Assert.Equal("a large red circle on the left and a small blue square at the top right on a gray background",
            CaptionWriter.Describe(scene).Text);
    }

    [Fact]
    public void ThreeObjectsUseACommaThenAnd()
    {
        var scene = new Scene(Colour.Black,
        [
            Obj(Shape.Heart, Colour.Pink, ObjectSize.Large, GridPosition.Top),
            Obj(Shape.Ring, Colour.Cyan, ObjectSize.Small, GridPosition.Right),
            Obj(Shape.Cross, Colour.White, ObjectSize.Large, GridPosition.BottomLeft),
        ]);
        var caption = CaptionWriter.Describe(scene);
        Assert.Equal("a large pink heart at the top, a small cyan ring on the right and a large white cross at the bottom left on a black background",
            caption.Text);
        Assert.Equal("top,", caption.Words[6]);
        Assert.Equal(new WordRole(WordKind.Position, 0), caption.Roles[6]);
    }

    [Fact]
    public void RolesNameEveryWord()
    {
        var scene = new Scene(Colour.Gray,
        [
            Obj(Shape.Circle, Colour.Red, ObjectSize.Large, GridPosition.Left),
            Obj(Shape.Square, Colour.Blue, ObjectSize.Small, GridPosition.TopRight),
        ]);
        var caption = CaptionWriter.Describe(scene);
        var f = WordRole.Function;
        WordRole[] expected =
        [
            f, new(WordKind.Size, 0), new(WordKind.Colour, 0), new(WordKind.Shape, 0), f, f, new(WordKind.Position, 0),
            f, f, new(WordKind.Size, 1), new(WordKind.Colour, 1), new(WordKind.Shape, 1), f, f, new(WordKind.Position, 1), new(WordKind.Position, 1),
            f, f, WordRole.BackgroundColour, f,
        ];
        Assert.Equal(expected, caption.Roles);
        Assert.Equal(caption.Text.Split(' '), caption.Words);
        Assert.Equal(11, caption.IndexOf(WordKind.Shape, 1));
        Assert.Equal("square", caption.Words[11]);
        Assert.Equal("gray", caption.Words[caption.IndexOf(WordKind.Background)]);
        Assert.Equal(-1, caption.IndexOf(WordKind.Shape, 2));
    }

    [Fact]
    public void GeneratedCaptionsFollowTheGrammar()
    {
        var generator = new SceneGenerator();
        for (ulong seed = 0; seed < 500; seed++)
        {
            var scene = generator.Generate(seed);
            var caption = CaptionWriter.Describe(scene);
            Assert.Matches("^[a-z]+(,? [a-z]+)*$", caption.Text);
            Assert.EndsWith($" on a {Words.Of(scene.Background)} background", caption.Text);
            Assert.Equal(caption.Words.Count, caption.Roles.Count);
            for (int i = 0; i < scene.Objects.Count; i++)
            {
                Assert.Equal(Words.Of(scene.Objects[i].Colour), caption.Words[caption.IndexOf(WordKind.Colour, i)]);
                Assert.Equal(Words.Of(scene.Objects[i].Shape), caption.Words[caption.IndexOf(WordKind.Shape, i)]);
                Assert.Equal(Words.Of(scene.Objects[i].Size), caption.Words[caption.IndexOf(WordKind.Size, i)]);
            }
            Assert.Equal(scene.Objects.Count - 1, caption.Words.Count(w => w == "and") + caption.Words.Count(w => w.EndsWith(',')));
        }
    }

    [Fact]
    public void DifferingWordsNeedEqualCounts()
    {
        var a = CaptionWriter.Describe(new Scene(Colour.White, [Obj(Shape.Star, Colour.Red, ObjectSize.Small, GridPosition.Top)]));
        var b = CaptionWriter.Describe(new Scene(Colour.White, [Obj(Shape.Star, Colour.Blue, ObjectSize.Small, GridPosition.Top)]));
        var c = CaptionWriter.Describe(new Scene(Colour.White, [Obj(Shape.Star, Colour.Red, ObjectSize.Small, GridPosition.TopLeft)]));
        Assert.Equal([2], a.DifferingWords(b));
        Assert.Throws<ArgumentException>(() => a.DifferingWords(c));
        Assert.Equal(a, CaptionWriter.Describe(new Scene(Colour.White, [Obj(Shape.Star, Colour.Red, ObjectSize.Small, GridPosition.Top)])));
    }
}
