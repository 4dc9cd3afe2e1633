namespace Icd.Shapes;

/// <summary>One object of a scene: what it is, what colour, how big, and which grid cell it sits in
/// (centred in the cell; see <see cref="ObjectPlacement"/>).</summary>
public sealed record ShapeObject(Shape Shape, Colour Colour, ObjectSize Size, GridPosition Position)
{
    public override string ToString() => $"{Words.Of(Size)} {Words.Of(Colour)} {Words.Of(Shape)} @{Position}";
}
