namespace Icd.Shapes;

public enum TextureKind
{
    /// <summary>A flat background.</summary>
    None,

    /// <summary>A linear ramp of ±<see cref="SceneTexture.Amplitude"/> grey levels across the image
    /// along one of eight directions.</summary>
    Gradient,

    /// <summary>Smooth grain: value noise, uniform in ±<see cref="SceneTexture.Amplitude"/> on an
    /// 8-pixel lattice and bilinear in between (per-pixel grain until the third Shapes build).</summary>
    Noise,
}

/// <summary>A light texture on the background only, so that a model cannot learn "background = one
/// exact value". It is a nuisance, not content: it never appears in captions or fingerprints, and an
/// edit keeps it unchanged (so the change mask stays exact).</summary>
public sealed record SceneTexture
{
    public SceneTexture(TextureKind kind, int amplitude, ulong seed)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), $"{(int)kind} is not a texture kind");
        if (amplitude < 0 || amplitude > 64)
            throw new ArgumentOutOfRangeException(nameof(amplitude), $"texture amplitude must be in [0, 64] grey levels, got {amplitude}");
        Kind = kind;
        Amplitude = kind == TextureKind.None ? 0 : amplitude;
        Seed = kind == TextureKind.None ? 0 : seed;
    }

    public static SceneTexture None { get; } = new(TextureKind.None, 0, 0);

    public TextureKind Kind { get; }

    public int Amplitude { get; }

    public ulong Seed { get; }
}
