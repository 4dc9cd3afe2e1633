namespace Icd.Shapes;

/// <summary>Draws a random edit of a given kind on a scene. An edit is a pure function of (settings,
/// scene, kind, seed). Every edit keeps the scene valid (no object the background's colour, distinct
/// cells, object count within the settings' bounds) and the texture unchanged.</summary>
public sealed class EditGenerator
{
    private static readonly Shape[] AllShapes = Enum.GetValues<Shape>();
    private static readonly ObjectSize[] AllSizes = Enum.GetValues<ObjectSize>();

    public EditGenerator(SceneSettings? settings = null)
    {
        Settings = (settings ?? SceneSettings.Default).Validate();
    }

    public SceneSettings Settings { get; }

    /// <summary>Whether <paramref name="kind"/> applies: a removal needs an object to spare (more than
    /// MinObjects and at least two), an addition a free cell below MaxObjects, a background change a
    /// background colour that no object has.</summary>
    public bool CanApply(Scene scene, EditKind kind)
    {
        ArgumentNullException.ThrowIfNull(scene);
        int count = scene.Objects.Count;
        return kind switch
        {
            EditKind.ChangeColour or EditKind.ChangeShape or EditKind.ChangeSize => true,
            EditKind.ChangeBackground => NewBackgrounds(scene).Count > 0,
            EditKind.RemoveObject => count >= 2 && count > Settings.MinObjects,
            EditKind.AddObject => count < Settings.MaxObjects && count < GridPositions.Count,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), $"{(int)kind} is not an edit kind"),
        };
    }

    /// <summary>The edit, or null if <paramref name="kind"/> does not apply to the scene.</summary>
    public Edit? TryCreate(Scene source, EditKind kind, ulong seed) => CanApply(source, kind) ? Draw(source, kind, seed) : null;

    public Edit Create(Scene source, EditKind kind, ulong seed) =>
        TryCreate(source, kind, seed) ?? throw new ArgumentException($"{kind} does not apply to the scene ({source})", nameof(kind));

    private Edit Draw(Scene source, EditKind kind, ulong seed)
    {
        var rng = new SplitMix64(SplitMix64.Mix(seed, (ulong)kind));
        var objects = source.Objects;
        int size = Settings.ImageSize;
        int i = rng.NextInt(objects.Count);
        var o = objects[i];
        switch (kind)
        {
            case EditKind.ChangeColour:
                var colour = SceneGenerator.RandomColourExcept(rng, o.Colour, source.Background);
                return Edit.Create(kind, source, source.WithObject(i, o with { Colour = colour }), i, i, size);
            case EditKind.ChangeShape:
                var shape = rng.Pick(AllShapes.Where(s => s != o.Shape).ToArray());
                return Edit.Create(kind, source, source.WithObject(i, o with { Shape = shape }), i, i, size);
            case EditKind.ChangeSize:
                var flipped = o.Size == ObjectSize.Small ? ObjectSize.Large : ObjectSize.Small;
                return Edit.Create(kind, source, source.WithObject(i, o with { Size = flipped }), i, i, size);
            case EditKind.ChangeBackground:
                return Edit.Create(kind, source, source.WithBackground(rng.Pick(NewBackgrounds(source))), -1, -1, size);
            case EditKind.RemoveObject:
                return Edit.Create(kind, source, source.WithoutObject(i), i, -1, size);
            default:
                // A shape no other object has, so the blend word names only the added object.
                var free = GridPositions.All.Where(p => source.IndexAt(p) < 0).ToArray();
                var unused = AllShapes.Where(s => objects.All(x => x.Shape != s)).ToArray();
                var added = new ShapeObject(
                    rng.Pick(unused.Length > 0 ? unused : AllShapes),
                    SceneGenerator.RandomColourExcept(rng, source.Background),
                    rng.Pick(AllSizes),
                    rng.Pick(free));
                var target = source.WithAddedObject(added);
                return Edit.Create(kind, source, target, -1, target.IndexAt(added.Position), size);
        }
    }

    private static List<Colour> NewBackgrounds(Scene scene) =>
        Palette.Backgrounds.Where(c => c != scene.Background && scene.Objects.All(o => o.Colour != c)).ToList();
}
