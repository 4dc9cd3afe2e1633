using Icd.Imaging;

namespace Icd.Shapes;

/// <summary>The judge's verdict on one generated image: whether the background and each object
/// (in caption order) came out as the caption says.</summary>
public sealed record GenerationVerdict(bool Background, IReadOnlyList<bool> Objects, string Reason)
{
    /// <summary>Everything the caption names is right.</summary>
    public bool All => Background && Objects.All(o => o);
}

/// <summary>Decides from a caption's scene whether an image generated from that caption follows it.
/// Placement is exact in this world (an object sits centred in its grid cell), so the judge reads
/// the rendered scene's regions:
/// <list type="bullet">
/// <item>background: the median colour of the pixels away from every object is nearest, among the
/// palette in CIELAB, to the caption's background colour (as <see cref="EditJudge"/> judges a
/// background edit);</item>
/// <item>object: in its grid cell, the pixels nearer (RGB) to its colour than to the background's
/// cover at least <see cref="MinCoverage"/> of its solid area, and their median is nearest to its
/// colour. A missing object, one in a neighbouring colour (orange for red) or a smear of the
/// background fails; the shape is not judged.</item>
/// </list>
/// The scene's own rendering passes and a recoloured or removed object fails, by construction (see
/// the tests).</summary>
public static class GenerationJudge
{
    public const double MinCoverage = 0.5;

    public static GenerationVerdict Judge(Scene scene, RgbImage generated)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(generated);
        if (generated.Width != generated.Height)
            throw new ArgumentException($"generated image is {generated.Width}×{generated.Height}; the Shapes world is square", nameof(generated));
        int size = generated.Width;
        var reasons = new List<string>();
        var away = JudgeRegions.AwayFromObjects(scene, size);
        bool background = false;
        if (away.Count > 0)
        {
            var nearest = Palette.Nearest(JudgeRegions.MedianColour(generated, away));
            background = nearest == scene.Background;
            if (!background) reasons.Add($"background is {Words.Of(nearest)}, not {Words.Of(scene.Background)}");
        }
        var objects = new List<bool>();
        foreach (var obj in scene.Objects)
        {
            var segmented = JudgeRegions.Segment(generated, obj.Position, obj.Colour, scene.Background);
            int solid = JudgeRegions.Solid(obj, size).Count;
            bool ok;
            if (segmented.Count < MinCoverage * solid)
            {
                ok = false;
                reasons.Add($"{obj}: {segmented.Count} of {solid} px in its colour");
            }
            else
            {
                var nearest = Palette.Nearest(JudgeRegions.MedianColour(generated, segmented));
                ok = nearest == obj.Colour;
                if (!ok) reasons.Add($"{obj}: came out {Words.Of(nearest)}");
            }
            objects.Add(ok);
        }
        return new GenerationVerdict(background, objects, reasons.Count == 0 ? "as captioned" : string.Join("; ", reasons));
    }

    /// <summary>The palette colour nearest (CIELAB) to the median of <paramref name="obj"/>'s solid
    /// pixels in <paramref name="image"/>, whatever colour the object was meant to have: what came
    /// out where the object should be (a colour edit is judged the same way).</summary>
    public static Colour MeasuredColour(ShapeObject obj, RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width != image.Height)
            throw new ArgumentException($"image is {image.Width}×{image.Height}; the Shapes world is square", nameof(image));
        return Palette.Nearest(JudgeRegions.MedianColour(image, JudgeRegions.Solid(obj, image.Width)));
    }
}
