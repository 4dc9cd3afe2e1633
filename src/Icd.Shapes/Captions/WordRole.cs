namespace Icd.Shapes;

/// <summary>What a caption word says. Attribute words name exactly one attribute value; everything
/// else ("a", "on", "the", "and", "background") is a function word.</summary>
public enum WordKind
{
    Function,
    Size,
    Colour,
    Shape,

    /// <summary>A direction word of a position phrase ("top", "left", "center"); the phrase's
    /// preposition and "the" are function words.</summary>
    Position,

    /// <summary>The background's colour word.</summary>
    Background,
}

/// <summary>The role of one caption word: its kind and, for object attributes, the index of the
/// object in <see cref="Scene.Objects"/> (-1 for function and background words).</summary>
public readonly record struct WordRole(WordKind Kind, int ObjectIndex)
{
    public static WordRole Function { get; } = new(WordKind.Function, -1);

    public static WordRole BackgroundColour { get; } = new(WordKind.Background, -1);

    public bool IsAttribute => Kind != WordKind.Function;

    public override string ToString() => ObjectIndex >= 0 ? $"{Kind}[{ObjectIndex}]" : Kind.ToString();
}
