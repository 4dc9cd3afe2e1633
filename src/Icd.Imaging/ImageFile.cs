using Icd.Imaging.Exif;
using Icd.Imaging.Jpeg;
using Icd.Imaging.Png;

namespace Icd.Imaging;

/// <summary>Reads PNG and JPEG files as upright 8-bit RGB.</summary>
public static class ImageFile
{
    /// <summary>
    /// Reads <paramref name="path"/>, whatever its extension says, by looking at its first bytes.
    /// Transparency is composited over white, and the EXIF orientation is applied so the pixels are upright.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ImageFormatException">Not a PNG or JPEG, corrupt, truncated, or larger than <see cref="ImageReadOptions.MaxPixels"/>.</exception>
    public static RgbImage Read(string path, ImageReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= ImageReadOptions.Default;
        return Decode(ReadAllBytes(path), path, options);
    }

    /// <summary>Decodes a PNG or JPEG held in memory (an upload); <paramref name="name"/> names it in errors.</summary>
    /// <exception cref="ImageFormatException">Not a PNG or JPEG, corrupt, truncated, or larger than <see cref="ImageReadOptions.MaxPixels"/>.</exception>
    public static RgbImage Decode(byte[] file, string name, ImageReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(name);
        options ??= ImageReadOptions.Default;
        DecodedImage decoded;
        if (PngDecoder.HasSignature(file))
            decoded = PngDecoder.Decode(file, name, options);
        else if (JpegSegments.HasSignature(file))
            decoded = JpegDecoder.Decode(file, name, options);
        else
            throw new ImageFormatException(name, "not a PNG or JPEG file");
        return OrientationTransform.Apply(decoded.Image, decoded.Orientation);
    }

    private static byte[] ReadAllBytes(string path)
    {
        // File.ReadAllBytes reports a missing folder as DirectoryNotFoundException; callers should see one case.
        if (Directory.Exists(path))
            throw new ImageFormatException(path, "is a folder, not an image file");
        if (!File.Exists(path))
            throw new FileNotFoundException($"image file not found: {path}", path);
        // Decoding works on the whole file in memory, which .NET caps at one array. The length comes
        // from the opened file: through a symbolic link, FileInfo.Length is the link's own size.
        using var stream = File.OpenRead(path);
        long length = stream.Length;
        if (length > Array.MaxLength)
            throw new ImageFormatException(path, $"file is {length:N0} bytes, too large to be an image we can decode");
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
