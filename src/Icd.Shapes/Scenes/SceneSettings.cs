namespace Icd.Shapes;

/// <summary>How scenes are drawn and rendered. The defaults are the Shapes world used by the
/// benchmark; change them only for experiments, since fingerprints and held-out checks assume both
/// streams use the same settings.</summary>
public sealed record SceneSettings
{
    /// <summary>Rendered images are ImageSize × ImageSize pixels.</summary>
    public int ImageSize { get; init; } = 64;

    public int MinObjects { get; init; } = 1;

    public int MaxObjects { get; init; } = 3;

    /// <summary>Whether backgrounds get a light gradient or grain (<see cref="SceneTexture"/>).</summary>
    public bool Texture { get; init; } = true;

    /// <summary>Maximum texture offset in grey levels; small next to the palette's separation.</summary>
    public int TextureAmplitude { get; init; } = 10;

    public static SceneSettings Default { get; } = new();

    /// <summary>Throws if the settings cannot produce valid scenes; every consumer calls it once.</summary>
    public SceneSettings Validate()
    {
        // 9 px is the smallest size at which a small object still covers whole pixels of its cell.
        if (ImageSize < 9 || ImageSize > 4096)
            throw new ArgumentOutOfRangeException(nameof(ImageSize), $"ImageSize must be in [9, 4096], got {ImageSize}");
        if (MinObjects < 1 || MinObjects > GridPositions.Count)
            throw new ArgumentOutOfRangeException(nameof(MinObjects), $"MinObjects must be in [1, {GridPositions.Count}], got {MinObjects}");
        if (MaxObjects < MinObjects || MaxObjects > GridPositions.Count)
            throw new ArgumentOutOfRangeException(nameof(MaxObjects), $"MaxObjects must be in [MinObjects={MinObjects}, {GridPositions.Count}], got {MaxObjects}");
        if (TextureAmplitude < 0 || TextureAmplitude > 64)
            throw new ArgumentOutOfRangeException(nameof(TextureAmplitude), $"TextureAmplitude must be in [0, 64], got {TextureAmplitude}");
        return this;
    }
}
