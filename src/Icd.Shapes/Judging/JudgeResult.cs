namespace Icd.Shapes;

/// <summary>The judge's verdict on one edited image. <see cref="MeasuredColour"/> is set for colour,
/// background and remove edits (the palette colour nearest to the region's median), the IoUs for
/// shape, size and add edits (the segmented object against the target and source masks).</summary>
public sealed record JudgeResult(
    EditKind Kind,
    bool Success,
    string Reason,
    Colour? MeasuredColour = null,
    double? IouTarget = null,
    double? IouSource = null);
