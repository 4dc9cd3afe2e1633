using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Icd.Imaging.Png;

namespace Icd.Imaging;

/// <summary>Writes 8-bit RGB PNG files (colour type 2, not interlaced) with optional text metadata.</summary>
public static class PngEncoder
{
    /// <summary>
    /// Writes <paramref name="image"/> to <paramref name="path"/> atomically: into a temporary file in the same
    /// directory, then renamed over the target, so a crash never leaves a half-written image behind.
    /// </summary>
    /// <param name="text">Keyword → value pairs stored as tEXt chunks (iTXt when a value is not Latin-1).</param>
    public static void Write(string path, RgbImage image, IReadOnlyDictionary<string, string>? text = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.WriteAllBytes(path, Encode(image, text));
    }

    /// <summary>The complete PNG file for <paramref name="image"/>.</summary>
    public static byte[] Encode(RgbImage image, IReadOnlyDictionary<string, string>? text = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var output = new MemoryStream();
        output.Write(PngChunkReader.Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], image.Height);
        header[8] = 8; // bit depth
        header[9] = (byte)PngColorType.Rgb; // compression, filter and interlace method stay 0
        WriteChunk(output, "IHDR", header);

        // Text goes before the image data so tools that stop reading early still find it.
        if (text is not null)
        {
            foreach (var (keyword, value) in text)
                WriteTextChunk(output, keyword, value);
        }
        WriteChunk(output, "IDAT", CompressScanlines(image));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static byte[] CompressScanlines(RgbImage image)
    {
        int rowBytes = image.Width * 3;
        var filtered = new byte[rowBytes];
        var scratch = new byte[rowBytes];
        var zeros = new byte[rowBytes]; // the row "above" the first
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < image.Height; y++)
            {
                var row = image.Pixels.AsSpan(y * rowBytes, rowBytes);
                var previous = y > 0 ? image.Pixels.AsSpan((y - 1) * rowBytes, rowBytes) : zeros;
                zlib.WriteByte(PngFilters.ChooseAndApply(row, previous, stride: 3, scratch, filtered));
                zlib.Write(filtered);
            }
        }
        return compressed.ToArray();
    }

    private static void WriteTextChunk(Stream output, string keyword, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        ValidateKeyword(keyword);
        if (value.Contains('\0'))
            throw new ArgumentException($"PNG text for keyword \"{keyword}\" contains a NUL character, which PNG text cannot hold", nameof(value));
        byte[] keywordBytes = Encoding.Latin1.GetBytes(keyword);
        if (IsLatin1(value))
        {
            // tEXt: keyword, NUL, Latin-1 text.
            WriteChunk(output, "tEXt", [.. keywordBytes, 0, .. Encoding.Latin1.GetBytes(value)]);
            return;
        }
        // iTXt: keyword, NUL, compression flag 0, method 0, empty language tag, NUL, empty translated keyword, NUL, UTF-8 text.
        WriteChunk(output, "iTXt", [.. keywordBytes, 0, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes(value)]);
    }

    /// <summary>The spec's keyword rules: 1–79 printable Latin-1 characters, no leading, trailing or double spaces.</summary>
    private static void ValidateKeyword(string keyword)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        bool printable = keyword.All(c => c is (>= ' ' and <= '~') or (>= '\u00A1' and <= '\u00FF'));
        if (keyword.Length is < 1 or > 79 || !printable || keyword.StartsWith(' ') || keyword.EndsWith(' ') || keyword.Contains("  "))
            throw new ArgumentException($"PNG text keyword \"{keyword}\" must be 1 to 79 printable Latin-1 characters without leading, trailing or double spaces", nameof(keyword));
    }

    private static bool IsLatin1(string value) => value.All(c => c <= '\u00FF');

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        output.Write(typeBytes);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Compute(typeBytes, data));
        output.Write(word);
    }
}
