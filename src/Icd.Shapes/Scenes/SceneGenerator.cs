namespace Icd.Shapes;

/// <summary>Draws random scenes. A scene is a pure function of (settings, seed): the generator holds
/// no state between calls, so scene streams can be indexed in any order.</summary>
public sealed class SceneGenerator
{
    private static readonly Shape[] AllShapes = Enum.GetValues<Shape>();
    private static readonly ObjectSize[] AllSizes = Enum.GetValues<ObjectSize>();

    public SceneGenerator(SceneSettings? settings = null)
    {
        Settings = (settings ?? SceneSettings.Default).Validate();
    }

    public SceneSettings Settings { get; }

    /// <summary>The scene for <paramref name="seed"/>: a uniform object count in [MinObjects,
    /// MaxObjects], distinct uniform cells listed in reading order, a uniform background from
    /// <see cref="Palette.Backgrounds"/>, and per object a uniform shape, size and colour other than
    /// the background.</summary>
    public Scene Generate(ulong seed)
    {
        var rng = new SplitMix64(seed);
        int count = Settings.MinObjects + rng.NextInt(Settings.MaxObjects - Settings.MinObjects + 1);
        var background = rng.Pick(Palette.Backgrounds);

        // Partial Fisher–Yates: the first `count` cells of a shuffled grid.
        var cells = (GridPosition[])GridPositions.All.Clone();
        for (int i = 0; i < count; i++)
        {
            int j = i + rng.NextInt(cells.Length - i);
            (cells[i], cells[j]) = (cells[j], cells[i]);
        }
        Array.Sort(cells, 0, count);

        var objects = new ShapeObject[count];
        for (int i = 0; i < count; i++)
            objects[i] = new ShapeObject(rng.Pick(AllShapes), RandomColourExcept(rng, background), rng.Pick(AllSizes), cells[i]);
        return new Scene(background, objects, RandomTexture(rng));
    }

    /// <summary>A uniform palette colour other than <paramref name="excluded"/>.</summary>
    internal static Colour RandomColourExcept(SplitMix64 rng, params ReadOnlySpan<Colour> excluded)
    {
        var allowed = new List<Colour>(Palette.All.Length);
        foreach (var c in Palette.All)
            if (!excluded.Contains(c)) allowed.Add(c);
        return rng.Pick(allowed);
    }

    private SceneTexture RandomTexture(SplitMix64 rng)
    {
        if (!Settings.Texture || Settings.TextureAmplitude == 0) return SceneTexture.None;
        var kind = rng.NextInt(2) == 0 ? TextureKind.Gradient : TextureKind.Noise;
        return new SceneTexture(kind, Settings.TextureAmplitude, rng.NextUInt64());
    }
}
