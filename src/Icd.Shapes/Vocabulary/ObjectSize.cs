namespace Icd.Shapes;

/// <summary>Two sizes only, far enough apart (see <see cref="ObjectPlacement"/>) that a size edit is
/// obvious at 64×64.</summary>
public enum ObjectSize
{
    Small,
    Large,
}
