namespace Icd.Shapes;

/// <summary>A Shapes-world scene: a background colour (with an optional light texture) and one to nine
/// objects in distinct grid cells, none of them the background's colour (so every object is visible).
/// Scenes are immutable and compared by value; objects keep the order they were given in, which is
/// the order captions list them (<see cref="SceneGenerator"/> always uses reading order).</summary>
public sealed record Scene
{
    private readonly ShapeObject[] _objects;

    public Scene(Colour background, IEnumerable<ShapeObject> objects, SceneTexture? texture = null)
    {
        ArgumentNullException.ThrowIfNull(objects);
        if (!Enum.IsDefined(background)) throw new ArgumentOutOfRangeException(nameof(background), $"{(int)background} is not a palette colour");
        _objects = objects.ToArray();
        if (_objects.Length == 0) throw new ArgumentException("a scene needs at least one object", nameof(objects));
        var used = new bool[GridPositions.Count];
        foreach (var o in _objects)
        {
            if (o is null) throw new ArgumentException("objects must not contain null", nameof(objects));
            if (!Enum.IsDefined(o.Shape) || !Enum.IsDefined(o.Colour) || !Enum.IsDefined(o.Size) || !Enum.IsDefined(o.Position))
                throw new ArgumentException($"object {o.Shape}/{o.Colour}/{o.Size}/{o.Position} has an undefined attribute", nameof(objects));
            if (o.Colour == background)
                throw new ArgumentException($"the {o.Position} object is {o.Colour}, the background's colour, and would be invisible", nameof(objects));
            if (used[(int)o.Position]) throw new ArgumentException($"two objects share the grid cell {o.Position}", nameof(objects));
            used[(int)o.Position] = true;
        }
        Background = background;
        Texture = texture ?? SceneTexture.None;
    }

    public Colour Background { get; }

    public SceneTexture Texture { get; }

    public IReadOnlyList<ShapeObject> Objects => _objects;

    public Scene WithBackground(Colour background) => new(background, _objects, Texture);

    public Scene WithTexture(SceneTexture texture) => new(Background, _objects, texture);

    public Scene WithObject(int index, ShapeObject replacement)
    {
        CheckIndex(index);
        var objects = (ShapeObject[])_objects.Clone();
        objects[index] = replacement;
        return new Scene(Background, objects, Texture);
    }

    public Scene WithoutObject(int index)
    {
        CheckIndex(index);
        return new Scene(Background, _objects.Where((_, i) => i != index), Texture);
    }

    /// <summary>Adds <paramref name="added"/> at its reading-order place among the objects, keeping a
    /// reading-ordered scene reading-ordered.</summary>
    public Scene WithAddedObject(ShapeObject added)
    {
        ArgumentNullException.ThrowIfNull(added);
        int at = 0;
        while (at < _objects.Length && _objects[at].Position < added.Position) at++;
        return new Scene(Background, _objects.Take(at).Append(added).Concat(_objects.Skip(at)), Texture);
    }

    /// <summary>The index of the object in <paramref name="position"/>, or -1.</summary>
    public int IndexAt(GridPosition position) => Array.FindIndex(_objects, o => o.Position == position);

    /// <summary>A 64-bit hash of the content a caption describes: background colour and the set of
    /// objects (in reading order, whatever order they were given in). The texture is left out on
    /// purpose: two scenes that differ only in texture are the same scene for held-out purposes.</summary>
    public ulong Fingerprint
    {
        get
        {
            ulong h = SplitMix64.Mix(0x5348415045535E31UL, (ulong)Background);
            foreach (var o in _objects.OrderBy(o => o.Position))
                h = SplitMix64.Mix(h, (ulong)o.Position | (ulong)o.Shape << 8 | (ulong)o.Colour << 16 | (ulong)o.Size << 24);
            return h;
        }
    }

    public bool Equals(Scene? other) =>
        other is not null && Background == other.Background && Texture == other.Texture && _objects.SequenceEqual(other._objects);

    public override int GetHashCode() => HashCode.Combine(Fingerprint, Texture);

    public override string ToString() => $"{Words.Of(Background)} background, {Texture.Kind}: {string.Join("; ", _objects.Select(o => o.ToString()))}";

    private void CheckIndex(int index)
    {
        if (index < 0 || index >= _objects.Length)
            throw new ArgumentOutOfRangeException(nameof(index), $"object index {index} is outside [0, {_objects.Length})");
    }
}
