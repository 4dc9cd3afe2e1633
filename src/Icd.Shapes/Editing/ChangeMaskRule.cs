namespace Icd.Shapes;

/// <summary>The ground-truth change mask of an edit, the pixels the edit is allowed to change:
/// <list type="bullet">
/// <item>object edits (colour, shape, size, remove, add): every pixel the edited object touches
/// (coverage &gt; 0) before or after the edit;</item>
/// <item>background edits: every pixel where any background shows, i.e. all pixels except those an
/// object covers completely.</item>
/// </list>
/// Every pixel whose rendered colour differs between source and target lies in the mask (the texture is
/// kept), and for object edits the mask lies inside the object's grid cell.</summary>
public static class ChangeMaskRule
{
    public static PixelMask For(EditKind kind, Scene source, Scene target, int sourceObject, int targetObject, int size)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (kind == EditKind.ChangeBackground)
        {
            var values = new bool[size * size];
            Array.Fill(values, true);
            foreach (var obj in source.Objects)
            {
                var coverage = ShapesRenderer.Coverage(obj, size).Values;
                for (int i = 0; i < values.Length; i++)
                    if (coverage[i] >= 1f) values[i] = false;
            }
            return new PixelMask(size, size, values);
        }
        var mask = PixelMask.Empty(size, size);
        if (sourceObject >= 0) mask = mask.Union(ShapesRenderer.Coverage(source.Objects[sourceObject], size).Above(0f));
        if (targetObject >= 0) mask = mask.Union(ShapesRenderer.Coverage(target.Objects[targetObject], size).Above(0f));
        return mask;
    }
}
