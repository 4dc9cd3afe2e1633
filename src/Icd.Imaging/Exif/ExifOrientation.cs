using System.Buffers.Binary;

namespace Icd.Imaging.Exif;

/// <summary>
/// Reads the orientation tag (0x0112) from IFD0 of an EXIF TIFF block. Only this one tag matters to us,
/// so this walks IFD0 alone instead of parsing EXIF in general.
/// </summary>
internal static class ExifOrientation
{
    public const int Normal = 1;
    private const ushort OrientationTag = 0x0112;
    private const ushort TypeShort = 3, TypeLong = 4;
    private const int EntrySize = 12;

    /// <summary>
    /// The orientation, 1 to 8; <see cref="Normal"/> when there is no block, no tag, or anything malformed.
    /// Broken EXIF is common in the wild and the pixels are still fine, so it must not make the image unreadable.
    /// </summary>
    public static int Read(ReadOnlySpan<byte> tiff)
    {
        // JPEG APP1 payloads start with this; PNG eXIf should not, but some writers copy it over.
        if (tiff.StartsWith("Exif\0\0"u8))
            tiff = tiff[6..];
        if (tiff.Length < 8)
            return Normal;
        bool littleEndian;
        if (tiff.StartsWith("II"u8))
            littleEndian = true;
        else if (tiff.StartsWith("MM"u8))
            littleEndian = false;
        else
            return Normal;
        if (ReadUInt16(tiff, 2, littleEndian) != 42)
            return Normal;

        uint directory = ReadUInt32(tiff, 4, littleEndian);
        if (directory > (uint)(tiff.Length - 2))
            return Normal;
        int entries = ReadUInt16(tiff, (int)directory, littleEndian);
        for (int i = 0; i < entries; i++)
        {
            long entry = directory + 2 + (long)i * EntrySize;
            if (entry + EntrySize > tiff.Length)
                return Normal;
            int at = (int)entry;
            if (ReadUInt16(tiff, at, littleEndian) != OrientationTag)
                continue;
            ushort type = ReadUInt16(tiff, at + 2, littleEndian);
            uint count = ReadUInt32(tiff, at + 4, littleEndian);
            // A value that fits in four bytes is stored inline, left-aligned in the value field.
            uint value = (type, count) switch
            {
                (TypeShort, 1) => ReadUInt16(tiff, at + 8, littleEndian),
                (TypeLong, 1) => ReadUInt32(tiff, at + 8, littleEndian),
                _ => 0,
            };
            return value is >= 1 and <= 8 ? (int)value : Normal;
        }
        return Normal;
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> data, int offset, bool littleEndian) =>
        littleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(data[offset..]) : BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);

    private static uint ReadUInt32(ReadOnlySpan<byte> data, int offset, bool littleEndian) =>
        littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]) : BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
}
