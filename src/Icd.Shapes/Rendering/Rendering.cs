using Icd.Imaging;

namespace Icd.Shapes;

/// <summary>A rendered scene and, per object (in <see cref="Scene.Objects"/> order), its coverage.</summary>
public sealed record Rendering(RgbImage Image, IReadOnlyList<CoverageMap> Coverage);
