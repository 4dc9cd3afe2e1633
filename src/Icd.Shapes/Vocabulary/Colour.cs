namespace Icd.Shapes;

/// <summary>The named colours of the Shapes world; every one is a caption word and a fixed sRGB value
/// (see <see cref="Palette"/>).</summary>
public enum Colour
{
    Red,
    Orange,
    Yellow,
    Green,
    Cyan,
    Blue,
    Purple,
    Pink,
    White,
    Black,
    Gray,
    Brown,
}
