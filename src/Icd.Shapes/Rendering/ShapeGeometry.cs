namespace Icd.Shapes;

/// <summary>Exact inside tests for every shape in its unit box: horizontal <c>a</c> and upward
/// <c>b</c>, both in [-1, 1], with the object's cell-centred placement mapping the box onto pixels.
/// Every shape stays inside the box, so an object never leaves its grid cell.</summary>
public static class ShapeGeometry
{
    private const double SquareHalfSide = 0.8;
    private const double RingInnerRadius = 0.55;
    private const double CrossHalfWidth = 0.3;
    private const double CrossHalfLength = 0.9;
    private const double TriangleApex = 0.95;
    private const double TriangleBase = -0.8;
    private const double StarInnerRadius = 0.45;

    // The star is folded into the wedge between its top tip and the next inner vertex (0°..36° from
    // "up") by reflecting across its mirror lines at 72° and 36°; n = (cos α, -sin α) is the normal of
    // the mirror at angle α, positive on the side of larger angles.
    private static readonly double Cos36 = Math.Cos(Math.PI / 5), Sin36 = Math.Sin(Math.PI / 5);
    private static readonly double Cos72 = Math.Cos(2 * Math.PI / 5), Sin72 = Math.Sin(2 * Math.PI / 5);
    private static readonly double StarEdgeX = StarInnerRadius * Sin36, StarEdgeY = StarInnerRadius * Cos36 - 1;

    public static bool Contains(Shape shape, double a, double b)
    {
        double ax = Math.Abs(a), ab = Math.Abs(b);
        switch (shape)
        {
            case Shape.Circle:
                return a * a + b * b <= 1;
            case Shape.Square:
                return ax <= SquareHalfSide && ab <= SquareHalfSide;
            case Shape.Triangle:
                // Apex at (0, 0.95), base corners at (±1, -0.8): below both slanted edges, above the base.
                return b >= TriangleBase && b <= TriangleApex - (TriangleApex - TriangleBase) * ax;
            case Shape.Star:
                return InStar(ax, b);
            case Shape.Ring:
                double r2 = a * a + b * b;
                return r2 <= 1 && r2 >= RingInnerRadius * RingInnerRadius;
            case Shape.Cross:
                return Math.Max(ax, ab) <= CrossHalfLength && Math.Min(ax, ab) <= CrossHalfWidth;
            case Shape.Diamond:
                return ax + ab <= 1;
            case Shape.Heart:
                // The classic heart (x² + y² - 1)³ ≤ x² y³ spans x ∈ [-1.139, 1.139], y ∈ [-1, 1.236];
                // stretched onto the unit box.
                double x = a * 1.139, y = 0.118 + b * 1.118;
                double s = x * x + y * y - 1;
                return s * s * s <= x * x * y * y * y;
            default:
                throw new ArgumentOutOfRangeException(nameof(shape), $"{(int)shape} is not a shape");
        }
    }

    /// <summary>A five-pointed star, tip up, outer radius 1, inner radius 0.45.</summary>
    private static bool InStar(double a, double b)
    {
        // a ≥ 0 already (mirror across the vertical axis).
        double d = a * Cos72 - b * Sin72;
        if (d > 0)
        {
            a -= 2 * d * Cos72;
            b += 2 * d * Sin72;
        }
        a = Math.Abs(a);
        d = a * Cos36 - b * Sin36;
        if (d > 0)
        {
            a -= 2 * d * Cos36;
            b += 2 * d * Sin36;
        }
        // Inside iff on the centre's side of the edge from the tip (0, 1) to the inner vertex
        // r·(sin 36°, cos 36°); the centre gives a negative cross product.
        return StarEdgeX * (b - 1) - StarEdgeY * a <= 0;
    }
}
