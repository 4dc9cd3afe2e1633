using System.Buffers.Binary;

namespace Icd.Imaging.Png;

/// <summary>The validated contents of an IHDR chunk.</summary>
internal sealed record PngHeader(int Width, int Height, int BitDepth, PngColorType ColorType, bool Interlaced)
{
    /// <summary>Samples per pixel as stored in the file (a palette index counts as one).</summary>
    public int Channels => ColorType switch
    {
        PngColorType.Gray or PngColorType.Palette => 1,
        PngColorType.GrayAlpha => 2,
        PngColorType.Rgb => 3,
        _ => 4,
    };

    public int BitsPerPixel => Channels * BitDepth;

    /// <summary>Filters work on whole bytes: for pixels under a byte the "previous pixel" is the previous byte.</summary>
    public int FilterStride => Math.Max(1, BitsPerPixel / 8);

    /// <summary>Bytes in one scanline of <paramref name="pixels"/> pixels, without the filter-type byte.</summary>
    public long RowBytes(int pixels) => ((long)pixels * BitsPerPixel + 7) / 8;

    public static PngHeader Parse(ReadOnlySpan<byte> data, string path)
    {
        if (data.Length != 13)
            throw new ImageFormatException(path, $"IHDR chunk has {data.Length} bytes, expected 13");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(data);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        int bitDepth = data[8];
        var colorType = (PngColorType)data[9];
        // The spec caps dimensions at 2^31 - 1; zero is not an image.
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
            throw new ImageFormatException(path, $"invalid image size {width}×{height} in IHDR");
        if (!IsAllowed(colorType, bitDepth))
            throw new ImageFormatException(path, $"colour type {data[9]} with bit depth {bitDepth} is not allowed by the PNG specification");
        if (data[10] != 0)
            throw new ImageFormatException(path, $"unknown compression method {data[10]} in IHDR");
        if (data[11] != 0)
            throw new ImageFormatException(path, $"unknown filter method {data[11]} in IHDR");
        if (data[12] > 1)
            throw new ImageFormatException(path, $"unknown interlace method {data[12]} in IHDR");
        return new PngHeader((int)width, (int)height, bitDepth, colorType, data[12] == 1);
    }

    private static bool IsAllowed(PngColorType colorType, int bitDepth) => colorType switch
    {
        PngColorType.Gray => bitDepth is 1 or 2 or 4 or 8 or 16,
        PngColorType.Palette => bitDepth is 1 or 2 or 4 or 8,
        PngColorType.Rgb or PngColorType.GrayAlpha or PngColorType.Rgba => bitDepth is 8 or 16,
        _ => false,
    };
}
