using Icd.Imaging;

namespace Icd.Shapes;

/// <summary>Decides from the ground truth whether an edited image carries out an edit:
/// <list type="bullet">
/// <item>colour: the median colour of the target object's solid pixels (coverage &gt; 0.5) is nearest,
/// among all palette colours in CIELAB, to the target colour;</item>
/// <item>background: the same for background pixels at least one pixel away from every object;</item>
/// <item>shape, size, add: the object is segmented in its grid cell as the pixels nearer (RGB) to its
/// colour than to the background colour; success if IoU with the target's solid mask is at least 0.5
/// and beats IoU with the source's (empty for an addition);</item>
/// <item>remove: the removed object's solid pixels have a median nearest to the background colour.</item>
/// </list>
/// Ground-truth targets pass and unedited sources fail, both by construction (see the tests).</summary>
public static class EditJudge
{
    public const double MinIou = 0.5;

    public static JudgeResult Judge(Edit edit, RgbImage edited)
    {
        ArgumentNullException.ThrowIfNull(edit);
        ArgumentNullException.ThrowIfNull(edited);
        int size = edit.ImageSize;
        if (edited.Width != size || edited.Height != size)
            throw new ArgumentException($"edited image is {edited.Width}×{edited.Height}, the edit is {size}×{size}", nameof(edited));
        return edit.Kind switch
        {
            EditKind.ChangeColour => JudgeColour(edit, edited, JudgeRegions.Solid(edit.Target.Objects[edit.TargetObject], size), edit.Target.Objects[edit.TargetObject].Colour, "object"),
            EditKind.ChangeBackground => JudgeColour(edit, edited, JudgeRegions.AwayFromObjects(edit.Target, size), edit.Target.Background, "background"),
            EditKind.RemoveObject => JudgeColour(edit, edited, JudgeRegions.Solid(edit.Source.Objects[edit.SourceObject], size), edit.Target.Background, "removed object's region"),
            _ => JudgeSegmentation(edit, edited),
        };
    }

    /// <summary>PSNR (dB) between two images over the pixels outside <paramref name="changeMask"/>: how
    /// well an edit kept what it should not touch. +∞ when those pixels are identical.</summary>
    public static double Preservation(RgbImage reference, RgbImage edited, PixelMask changeMask)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(edited);
        ArgumentNullException.ThrowIfNull(changeMask);
        if (edited.Width != reference.Width || edited.Height != reference.Height)
            throw new ArgumentException($"edited image is {edited.Width}×{edited.Height}, the reference {reference.Width}×{reference.Height}", nameof(edited));
        if (changeMask.Width != reference.Width || changeMask.Height != reference.Height)
            throw new ArgumentException($"mask is {changeMask.Width}×{changeMask.Height}, the images {reference.Width}×{reference.Height}", nameof(changeMask));
        long squared = 0, count = 0;
        for (int p = 0; p < changeMask.Values.Length; p++)
        {
            if (changeMask.Values[p]) continue;
            for (int c = 0; c < 3; c++)
            {
                int d = reference.Pixels[p * 3 + c] - edited.Pixels[p * 3 + c];
                squared += d * d;
            }
            count += 3;
        }
        if (count == 0) throw new ArgumentException("the change mask covers the whole image; nothing is left to preserve", nameof(changeMask));
        return squared == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 * count / squared);
    }

    /// <summary>Preservation of an edited image against the edit's ground truth, outside its change
    /// mask (where source and target renders agree).</summary>
    public static double Preservation(Edit edit, RgbImage edited)
    {
        ArgumentNullException.ThrowIfNull(edit);
        return Preservation(edit.SourceImage, edited, edit.ChangeMask);
    }

    private static JudgeResult JudgeColour(Edit edit, RgbImage edited, PixelMask region, Colour wanted, string what)
    {
        if (region.Count == 0) return new JudgeResult(edit.Kind, false, $"the {what} has no pixels to measure");
        var median = JudgeRegions.MedianColour(edited, region);
        var nearest = Palette.Nearest(median);
        bool ok = nearest == wanted;
        return new JudgeResult(edit.Kind, ok, $"{what} median {median} is nearest to {Words.Of(nearest)}; wanted {Words.Of(wanted)}", nearest);
    }

    private static JudgeResult JudgeSegmentation(Edit edit, RgbImage edited)
    {
        int size = edit.ImageSize;
        var target = edit.Target.Objects[edit.TargetObject];
        var segmentation = JudgeRegions.Segment(edited, target.Position, target.Colour, edit.Target.Background);
        double iouTarget = segmentation.IoU(JudgeRegions.Solid(target, size));
        var sourceMask = edit.SourceObject >= 0 ? JudgeRegions.Solid(edit.Source.Objects[edit.SourceObject], size) : PixelMask.Empty(size, size);
        // For an addition the source mask is empty: an empty segmentation then matches the source
        // perfectly (IoU 1), rightly calling an unchanged cell a failure.
        double iouSource = segmentation.IoU(sourceMask);
        bool ok = iouTarget >= MinIou && iouTarget > iouSource;
        return new JudgeResult(edit.Kind, ok,
            $"segmented {Words.Of(target.Colour)} object: IoU {iouTarget:F3} with the target {Words.Of(target.Size)} {Words.Of(target.Shape)}, {iouSource:F3} with the source",
            IouTarget: iouTarget, IouSource: iouSource);
    }
}
