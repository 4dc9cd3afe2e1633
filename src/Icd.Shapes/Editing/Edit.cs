using Icd.Imaging;

namespace Icd.Shapes;

/// <summary>One edit with its ground truth: the scenes before and after, their captions, the blend
/// words, both renders and the change mask (<see cref="ChangeMaskRule"/>). Object indices point into
/// the source and target scenes' object lists; -1 means "no such object" (the background edit has
/// neither, an added object has no source, a removed one no target). Build with
/// <see cref="Create"/>, which checks that the two scenes differ exactly as the kind says.</summary>
public sealed record Edit
{
    private Edit(EditKind kind, Scene source, Scene target, int sourceObject, int targetObject, int imageSize)
    {
        Kind = kind;
        Source = source;
        Target = target;
        SourceObject = sourceObject;
        TargetObject = targetObject;
        SourceCaption = CaptionWriter.Describe(source);
        TargetCaption = CaptionWriter.Describe(target);
        Blend = FindBlendWords();
        SourceImage = ShapesRenderer.Render(source, imageSize);
        TargetImage = ShapesRenderer.Render(target, imageSize);
        ChangeMask = ChangeMaskRule.For(kind, source, target, sourceObject, targetObject, imageSize);
    }

    public EditKind Kind { get; }

    public Scene Source { get; }

    public Scene Target { get; }

    public int SourceObject { get; }

    public int TargetObject { get; }

    public Caption SourceCaption { get; }

    public Caption TargetCaption { get; }

    public BlendWords Blend { get; }

    public RgbImage SourceImage { get; }

    public RgbImage TargetImage { get; }

    public PixelMask ChangeMask { get; }

    public int ImageSize => SourceImage.Width;

    /// <summary>The edited object as it is after the edit, or before it for a removal; null for a
    /// background edit.</summary>
    public ShapeObject? EditedObject =>
        TargetObject >= 0 ? Target.Objects[TargetObject] : SourceObject >= 0 ? Source.Objects[SourceObject] : null;

    public static Edit Create(EditKind kind, Scene source, Scene target, int sourceObject, int targetObject, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (imageSize < 9 || imageSize > 4096)
            throw new ArgumentOutOfRangeException(nameof(imageSize), $"image size must be in [9, 4096], got {imageSize}");
        CheckConsistent(kind, source, target, sourceObject, targetObject);
        return new Edit(kind, source, target, sourceObject, targetObject, imageSize);
    }

    public override string ToString() => $"{Kind}: \"{SourceCaption}\" → \"{TargetCaption}\" [{Blend}]";

    private BlendWords FindBlendWords()
    {
        var (wordKind, src, trg) = Kind switch
        {
            EditKind.ChangeColour => (WordKind.Colour, SourceObject, TargetObject),
            EditKind.ChangeShape or EditKind.RemoveObject or EditKind.AddObject => (WordKind.Shape, SourceObject, TargetObject),
            EditKind.ChangeSize => (WordKind.Size, SourceObject, TargetObject),
            _ => (WordKind.Background, -1, -1),
        };
        int si = Kind == EditKind.AddObject ? -1 : SourceCaption.IndexOf(wordKind, src);
        int ti = Kind == EditKind.RemoveObject ? -1 : TargetCaption.IndexOf(wordKind, trg);
        string sw = si >= 0 ? SourceCaption.Words[si] : TargetCaption.Words[ti];
        string tw = ti >= 0 ? TargetCaption.Words[ti] : sw;
        return new BlendWords(sw, tw, si, ti);
    }

    /// <summary>Throws unless <paramref name="target"/> is <paramref name="source"/> changed by exactly
    /// one edit of <paramref name="kind"/> at the given objects, with the texture kept.</summary>
    private static void CheckConsistent(EditKind kind, Scene source, Scene target, int sourceObject, int targetObject)
    {
        bool attribute = kind is EditKind.ChangeColour or EditKind.ChangeShape or EditKind.ChangeSize;
        int expectedSource = kind is EditKind.ChangeBackground or EditKind.AddObject ? -1 : sourceObject;
        int expectedTarget = kind is EditKind.ChangeBackground or EditKind.RemoveObject ? -1 : targetObject;
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), $"{(int)kind} is not an edit kind");
        if (sourceObject != expectedSource || (expectedSource >= 0 && sourceObject >= source.Objects.Count) || sourceObject < -1)
            throw new ArgumentOutOfRangeException(nameof(sourceObject), $"{kind} cannot use source object {sourceObject} of {source.Objects.Count}");
        if (targetObject != expectedTarget || (expectedTarget >= 0 && targetObject >= target.Objects.Count) || targetObject < -1)
            throw new ArgumentOutOfRangeException(nameof(targetObject), $"{kind} cannot use target object {targetObject} of {target.Objects.Count}");
        if (attribute && sourceObject != targetObject)
            throw new ArgumentException($"{kind} keeps the object list, so source object {sourceObject} must equal target object {targetObject}", nameof(targetObject));

        // What the target must equal once the edit is undone on it.
        Scene? expected;
        try
        {
            expected = kind switch
            {
                EditKind.ChangeBackground => target.WithBackground(source.Background),
                EditKind.RemoveObject => source.WithoutObject(sourceObject),
                EditKind.AddObject => target.WithoutObject(targetObject),
                _ => target.WithObject(targetObject, source.Objects[sourceObject]),
            };
        }
        catch (ArgumentException)
        {
            expected = null; // undoing the edit gives no valid scene, so the pair cannot be this edit
        }
        bool same = kind == EditKind.RemoveObject ? expected == target : expected == source;
        bool changed = kind switch
        {
            EditKind.ChangeBackground => source.Background != target.Background,
            EditKind.ChangeColour => Differs(o => o.Colour) && SameBut(o => o with { Colour = Colour.Red }),
            EditKind.ChangeShape => Differs(o => o.Shape) && SameBut(o => o with { Shape = Shape.Circle }),
            EditKind.ChangeSize => Differs(o => o.Size) && SameBut(o => o with { Size = ObjectSize.Small }),
            _ => true,
        };
        if (expected is null || !same || !changed)
            throw new ArgumentException($"target is not the source changed by one {kind} (source: {source}; target: {target})", nameof(target));

        bool Differs<T>(Func<ShapeObject, T> attributeOf) =>
            !EqualityComparer<T>.Default.Equals(attributeOf(source.Objects[sourceObject]), attributeOf(target.Objects[targetObject]));

        // The two objects agree once the edited attribute is overwritten with the same value.
        bool SameBut(Func<ShapeObject, ShapeObject> erase) => erase(source.Objects[sourceObject]) == erase(target.Objects[targetObject]);
    }
}
