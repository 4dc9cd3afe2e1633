namespace Icd.Shapes;

/// <summary>The object shapes; each has an exact inside test in <see cref="ShapeGeometry"/>.</summary>
public enum Shape
{
    Circle,
    Square,
    Triangle,
    Star,
    Ring,
    Cross,
    Diamond,
    Heart,
}
