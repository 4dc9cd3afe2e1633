namespace Icd.Shapes;

/// <summary>The caption word for every attribute value, and the word sequence of every position
/// phrase. Words are lower-case ASCII without spaces so a caption splits back into them exactly.</summary>
public static class Words
{
    private static readonly string[] ColourWords =
        ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "white", "black", "gray", "brown"];

    private static readonly string[] ShapeWords = ["circle", "square", "triangle", "star", "ring", "cross", "diamond", "heart"];

    private static readonly string[] SizeWords = ["small", "large"];

    // Preposition + "the" + one or two direction words; corners and edges read "at", the middle
    // row's sides "on", the middle cell "in", as English puts them.
    private static readonly string[][] PositionPhrases =
    [
        ["at", "the", "top", "left"],
        ["at", "the", "top"],
        ["at", "the", "top", "right"],
        ["on", "the", "left"],
        ["in", "the", "center"],
        ["on", "the", "right"],
        ["at", "the", "bottom", "left"],
        ["at", "the", "bottom"],
        ["at", "the", "bottom", "right"],
    ];

    /// <summary>How many leading words of a position phrase are function words ("at the").</summary>
    public const int PositionFunctionWords = 2;

    public static string Of(Colour colour) => ColourWords[Index(colour, ColourWords.Length, nameof(colour))];

    public static string Of(Shape shape) => ShapeWords[Index(shape, ShapeWords.Length, nameof(shape))];

    public static string Of(ObjectSize size) => SizeWords[Index(size, SizeWords.Length, nameof(size))];

    public static IReadOnlyList<string> Of(GridPosition position) => PositionPhrases[Index(position, PositionPhrases.Length, nameof(position))];

    private static int Index<T>(T value, int count, string name) where T : struct, Enum
    {
        int i = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
        return i >= 0 && i < count ? i : throw new ArgumentOutOfRangeException(name, $"{i} is not a defined {typeof(T).Name}");
    }
}
