namespace Icd.Shapes;

/// <summary>The cells of the 3×3 grid in reading order, so sorting by position sorts objects the way
/// captions list them.</summary>
public enum GridPosition
{
    TopLeft,
    Top,
    TopRight,
    Left,
    Center,
    Right,
    BottomLeft,
    Bottom,
    BottomRight,
}

public static class GridPositions
{
    public const int Count = 9;

    public static GridPosition[] All { get; } = Enum.GetValues<GridPosition>();

    /// <summary>Column 0..2, left to right.</summary>
    public static int Column(this GridPosition position) => (int)Check(position) % 3;

    /// <summary>Row 0..2, top to bottom.</summary>
    public static int Row(this GridPosition position) => (int)Check(position) / 3;

    private static GridPosition Check(GridPosition position) =>
        Enum.IsDefined(position) ? position : throw new ArgumentOutOfRangeException(nameof(position), $"{(int)position} is not a grid position");
}
