namespace Icd.Shapes.Tests;

public class EditTests
{
    private static readonly EditGenerator Editor = new();

    /// <summary>Edits of every kind on the first scenes of a stream where they apply.</summary>
    public static IEnumerable<Edit> SampleEdits(int perKind = 40)
    {
        var stream = new SceneStream(11, ShapesSplit.Train);
        foreach (var kind in EditKinds.All)
        {
            int made = 0;
            for (long i = 0; made < perKind; i++)
            {
                var edit = Editor.TryCreate(stream.At(i), kind, stream.SeedAt(i));
                if (edit is null) continue;
                made++;
                yield return edit;
            }
        }
    }

    [Fact]
    public void AttributeEditsSwapExactlyTheBlendWord()
    {
        foreach (var edit in SampleEdits().Where(e => e.Kind.KeepsWordCount()))
        {
            Assert.Equal(edit.SourceCaption.Count, edit.TargetCaption.Count);
            var differing = edit.SourceCaption.DifferingWords(edit.TargetCaption);
            Assert.Equal([edit.Blend.SourceIndex], differing);
            Assert.Equal(edit.Blend.SourceIndex, edit.Blend.TargetIndex);
            Assert.Equal(edit.SourceCaption.Words[differing[0]], edit.Blend.Source);
            Assert.Equal(edit.TargetCaption.Words[differing[0]], edit.Blend.Target);
            Assert.NotEqual(edit.Blend.Source, edit.Blend.Target);
            var expectedRole = edit.Kind switch
            {
                EditKind.ChangeColour => WordKind.Colour,
                EditKind.ChangeShape => WordKind.Shape,
                EditKind.ChangeSize => WordKind.Size,
                _ => WordKind.Background,
            };
            Assert.Equal(expectedRole, edit.SourceCaption.Roles[differing[0]].Kind);
            Assert.Equal(edit.Source.Texture, edit.Target.Texture);
        }
    }

    [Fact]
    public void RemoveAndAddChangeTheWordCountAndBlendTheShapeWord()
    {
        foreach (var edit in SampleEdits().Where(e => !e.Kind.KeepsWordCount()))
        {
            Assert.NotEqual(edit.SourceCaption.Count, edit.TargetCaption.Count);
            Assert.Equal(edit.Blend.Source, edit.Blend.Target);
            var shape = Words.Of(edit.EditedObject!.Shape);
            Assert.Equal(shape, edit.Blend.Source);
            if (edit.Kind == EditKind.RemoveObject)
            {
                Assert.Equal(edit.Source.Objects.Count - 1, edit.Target.Objects.Count);
                Assert.Equal(shape, edit.SourceCaption.Words[edit.Blend.SourceIndex]);
                Assert.Equal(-1, edit.Blend.TargetIndex);
            }
            else
            {
                Assert.Equal(edit.Source.Objects.Count + 1, edit.Target.Objects.Count);
                Assert.Equal(shape, edit.TargetCaption.Words[edit.Blend.TargetIndex]);
                Assert.Equal(-1, edit.Blend.SourceIndex);
                Assert.DoesNotContain(shape, edit.SourceCaption.Words);
            }
        }
    }

    [Fact]
    public void ChangeMasksContainEveryChangedPixelAndStayInTheCell()
    {
        foreach (var edit in SampleEdits())
        {
            int size = edit.ImageSize, changed = 0;
            Assert.True(edit.ChangeMask.Count > 0, $"{edit}: empty change mask");
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    if (edit.SourceImage[x, y] != edit.TargetImage[x, y])
                    {
                        changed++;
                        Assert.True(edit.ChangeMask[x, y], $"{edit}: ({x}, {y}) changed outside the mask");
                    }
                    if (edit.Kind.IsObjectEdit() && edit.ChangeMask[x, y])
                        Assert.True(ObjectPlacement.InCell(edit.EditedObject!.Position, size, x, y), $"{edit}: mask leaves the cell at ({x}, {y})");
                }
            // Where the edited object is only recoloured, added or removed (or the background
            // recoloured) the mask is tight: almost every pixel in it changes (rims with a tiny coverage
            // may round to the same byte). Shape and size edits keep the overlap of old and new shape.
            if (edit.Kind is EditKind.ChangeShape or EditKind.ChangeSize) continue;
            Assert.True(changed >= 0.9 * edit.ChangeMask.Count, $"{edit}: {changed} of {edit.ChangeMask.Count} mask pixels changed");
        }
    }

    [Fact]
    public void BackgroundMasksAreTheVisibleBackground()
    {
        var scene = new Scene(Colour.White, [new ShapeObject(Shape.Square, Colour.Red, ObjectSize.Large, GridPosition.Center)]);
        var edit = Edit.Create(EditKind.ChangeBackground, scene, scene.WithBackground(Colour.Black), -1, -1, 64);
        Assert.True(edit.ChangeMask[0, 0]);
        Assert.False(edit.ChangeMask[32, 32]);
        Assert.True(edit.ChangeMask[24, 32]); // a quarter-covered rim pixel shows background
        Assert.Equal("white black", edit.Blend.ToString());
        Assert.Equal("a large red square in the center on a black background", edit.TargetCaption.Text);
    }

    [Fact]
    public void EditsAreDeterministic()
    {
        var a = SampleEdits(5).ToList();
        var b = SampleEdits(5).ToList();
        Assert.Equal(a.Select(e => e.TargetCaption), b.Select(e => e.TargetCaption));
        Assert.All(a.Zip(b), p => Assert.Equal(p.First.TargetImage.Pixels, p.Second.TargetImage.Pixels));
    }

    [Fact]
    public void GeneratedEditsRespectTheSceneRules()
    {
        foreach (var edit in SampleEdits())
        {
            Assert.All(edit.Target.Objects, o => Assert.NotEqual(edit.Target.Background, o.Colour));
            Assert.InRange(edit.Target.Objects.Count, 1, 3);
            Assert.Contains(edit.Target.Background, Palette.Backgrounds);
        }
    }

    [Fact]
    public void InconsistentPairsAreRejected()
    {
        var red = new ShapeObject(Shape.Circle, Colour.Red, ObjectSize.Large, GridPosition.Left);
        var scene = new Scene(Colour.White, [red, new ShapeObject(Shape.Star, Colour.Blue, ObjectSize.Small, GridPosition.Right)]);
        var recoloured = scene.WithObject(0, red with { Colour = Colour.Green });
        Assert.Equal("red green", Edit.Create(EditKind.ChangeColour, scene, recoloured, 0, 0, 64).Blend.ToString());
        // Right pair, wrong kind; two attributes at once; wrong object index.
        Assert.Throws<ArgumentException>(() => Edit.Create(EditKind.ChangeShape, scene, recoloured, 0, 0, 64));
        Assert.Throws<ArgumentException>(() => Edit.Create(EditKind.ChangeColour, scene,
            scene.WithObject(0, red with { Colour = Colour.Green, Size = ObjectSize.Small }), 0, 0, 64));
        Assert.Throws<ArgumentException>(() => Edit.Create(EditKind.ChangeColour, scene, recoloured, 1, 1, 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => Edit.Create(EditKind.RemoveObject, scene, scene.WithoutObject(0), 0, 0, 64));
        Assert.Equal("circle", Edit.Create(EditKind.RemoveObject, scene, scene.WithoutObject(0), 0, -1, 64).Blend.Source);
    }

    [Fact]
    public void KindsThatDoNotApplyAreRefused()
    {
        var single = new Scene(Colour.White, [new ShapeObject(Shape.Circle, Colour.Red, ObjectSize.Large, GridPosition.Left)]);
        Assert.Null(Editor.TryCreate(single, EditKind.RemoveObject, 1));
        var e = Assert.Throws<ArgumentException>(() => Editor.Create(single, EditKind.RemoveObject, 1));
        Assert.Equal("kind", e.ParamName);
        var full = new SceneGenerator(new SceneSettings { MinObjects = 3 }).Generate(1);
        Assert.Null(Editor.TryCreate(full, EditKind.AddObject, 1));
    }
}
