using System.Buffers.Binary;

namespace Icd.Imaging.Jpeg;

/// <summary>Finds the EXIF block among the marker segments at the start of a JPEG file.</summary>
internal static class JpegSegments
{
    private const byte StartOfScan = 0xDA, EndOfImage = 0xD9, App1 = 0xE1;

    public static bool HasSignature(ReadOnlySpan<byte> file) => file.Length >= 3 && file[0] == 0xFF && file[1] == 0xD8 && file[2] == 0xFF;

    /// <summary>The TIFF block of the first APP1 "Exif" segment, or empty when there is none before the scan data.</summary>
    public static ReadOnlySpan<byte> FindExif(ReadOnlySpan<byte> file)
    {
        int position = 2; // after SOI
        while (position + 4 <= file.Length)
        {
            if (file[position] != 0xFF)
                return default; // lost sync: the decoder will report real damage, orientation just stays normal
            byte marker = file[position + 1];
            if (marker == 0xFF)
            {
                position++; // fill byte before a marker
                continue;
            }
            if (marker is StartOfScan or EndOfImage)
                return default;
            // TEM and RSTn stand alone; every other marker is followed by a length that counts itself.
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                position += 2;
                continue;
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(file[(position + 2)..]);
            if (length < 2 || position + 2 + length > file.Length)
                return default;
            var payload = file.Slice(position + 4, length - 2);
            if (marker == App1 && payload.StartsWith("Exif\0\0"u8))
                return payload[6..];
            position += 2 + length;
        }
        return default;
    }
}
