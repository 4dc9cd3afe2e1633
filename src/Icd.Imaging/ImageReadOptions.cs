namespace Icd.Imaging;

/// <summary>Limits applied while reading an image file.</summary>
public sealed record ImageReadOptions
{
    /// <summary>8192×8192: large enough for any photo a diffusion model can edit, small enough that a hostile
    /// header cannot make us allocate gigabytes.</summary>
    public const long DefaultMaxPixels = 64L * 1024 * 1024;

    public static ImageReadOptions Default { get; } = new();

    /// <summary>
    /// Largest width × height accepted. Checked against the size the header claims, before any pixel memory
    /// is allocated or any compressed data is decoded.
    /// </summary>
    public long MaxPixels
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(MaxPixels));
            field = value;
        }
    } = DefaultMaxPixels;
}
