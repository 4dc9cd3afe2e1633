namespace Icd.Shapes.Tests;

public class SceneTests
{
    private static ShapeObject Obj(Shape s, Colour c, GridPosition p, ObjectSize z = ObjectSize.Large) => new(s, c, z, p);

    [Fact]
    public void SameSeedGivesTheSameScene()
    {
        var generator = new SceneGenerator();
        for (ulong seed = 0; seed < 200; seed++)
            Assert.Equal(generator.Generate(seed), new SceneGenerator().Generate(seed));
    }

    [Fact]
    public void DifferentSeedsGiveDifferentScenes()
    {
        var generator = new SceneGenerator();
        var captions = Enumerable.Range(0, 1000).Select(i => CaptionWriter.Describe(generator.Generate((ulong)i)).Text).ToHashSet();
        Assert.True(captions.Count > 980, $"only {captions.Count} distinct captions in 1000 scenes");
    }

    [Fact]
    public void GeneratedScenesRespectTheRules()
    {
        var generator = new SceneGenerator();
        var counts = new int[4];
        var shapes = new HashSet<Shape>();
        var textures = new HashSet<TextureKind>();
        for (ulong seed = 0; seed < 3000; seed++)
        {
            var scene = generator.Generate(seed);
            counts[scene.Objects.Count]++;
            Assert.Contains(scene.Background, Palette.Backgrounds);
            Assert.All(scene.Objects, o => Assert.NotEqual(scene.Background, o.Colour));
            Assert.Equal(scene.Objects.OrderBy(o => o.Position), scene.Objects);
            Assert.Equal(scene.Objects.Count, scene.Objects.Select(o => o.Position).Distinct().Count());
            shapes.UnionWith(scene.Objects.Select(o => o.Shape));
            textures.Add(scene.Texture.Kind);
        }
        Assert.Equal(0, counts[0]);
        Assert.All(counts.Skip(1), c => Assert.InRange(c, 850, 1150));
        Assert.Equal(8, shapes.Count);
        Assert.Equal([TextureKind.Gradient, TextureKind.Noise], textures.Order());
    }

    [Fact]
    public void SettingsBoundObjectsAndTexture()
    {
        var generator = new SceneGenerator(new SceneSettings { MinObjects = 2, MaxObjects = 2, Texture = false });
        for (ulong seed = 0; seed < 100; seed++)
        {
            var scene = generator.Generate(seed);
            Assert.Equal(2, scene.Objects.Count);
            Assert.Equal(SceneTexture.None, scene.Texture);
        }
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SceneGenerator(new SceneSettings { MaxObjects = 10 }));
        Assert.Equal("MaxObjects", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SceneGenerator(new SceneSettings { ImageSize = 4 }));
    }

    [Fact]
    public void InvalidScenesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new Scene(Colour.White, []));
        Assert.Contains("background", Assert.Throws<ArgumentException>(() =>
            new Scene(Colour.Red, [Obj(Shape.Circle, Colour.Red, GridPosition.Top)])).Message);
        Assert.Contains("share", Assert.Throws<ArgumentException>(() =>
            new Scene(Colour.White, [Obj(Shape.Circle, Colour.Red, GridPosition.Top), Obj(Shape.Star, Colour.Blue, GridPosition.Top)])).Message);
    }

    [Fact]
    public void FingerprintIgnoresTextureAndOrderButNotContent()
    {
        var a = Obj(Shape.Circle, Colour.Red, GridPosition.Top);
        var b = Obj(Shape.Star, Colour.Blue, GridPosition.Left);
        var scene = new Scene(Colour.White, [a, b], new SceneTexture(TextureKind.Noise, 10, 5));
        Assert.Equal(scene.Fingerprint, new Scene(Colour.White, [b, a]).Fingerprint);
        Assert.NotEqual(scene, new Scene(Colour.White, [a, b]));
        Assert.NotEqual(scene.Fingerprint, scene.WithBackground(Colour.Gray).Fingerprint);
        Assert.NotEqual(scene.Fingerprint, scene.WithObject(0, a with { Size = ObjectSize.Small }).Fingerprint);
        Assert.NotEqual(scene.Fingerprint, scene.WithoutObject(1).Fingerprint);
    }

    [Fact]
    public void AddedObjectsKeepReadingOrder()
    {
        var scene = new Scene(Colour.White, [Obj(Shape.Circle, Colour.Red, GridPosition.TopLeft), Obj(Shape.Star, Colour.Blue, GridPosition.BottomRight)]);
        var added = scene.WithAddedObject(Obj(Shape.Ring, Colour.Green, GridPosition.Center));
        Assert.Equal([GridPosition.TopLeft, GridPosition.Center, GridPosition.BottomRight], added.Objects.Select(o => o.Position));
        Assert.Equal(1, added.IndexAt(GridPosition.Center));
    }

    [Fact]
    public void StreamsAreRandomAccessAndSplitsDiffer()
    {
        var train = new SceneStream(3, ShapesSplit.Train);
        var heldOut = new SceneStream(3, ShapesSplit.HeldOut);
        var forward = Enumerable.Range(0, 50).Select(i => train.At(i)).ToList();
        for (int i = 49; i >= 0; i--) Assert.Equal(forward[i], train.At(i));
        Assert.True(Enumerable.Range(0, 50).Count(i => heldOut.At(i) == forward[i]) == 0);
        Assert.NotEqual(new SceneStream(4, ShapesSplit.Train).At(0), train.At(0));
    }
}
