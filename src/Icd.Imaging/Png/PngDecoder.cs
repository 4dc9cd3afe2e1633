using System.IO.Compression;
using Icd.Imaging.Exif;

namespace Icd.Imaging.Png;

/// <summary>Decodes a whole PNG file held in memory into 8-bit RGB.</summary>
internal static class PngDecoder
{
    public static bool HasSignature(ReadOnlySpan<byte> file) => file.StartsWith(PngChunkReader.Signature);

    public static DecodedImage Decode(byte[] file, string path, ImageReadOptions options)
    {
        var reader = new PngChunkReader(file, path);
        var first = reader.Next();
        if (first.Type != "IHDR")
            throw new ImageFormatException(path, $"first chunk is {first.Type}, expected IHDR");
        var header = PngHeader.Parse(first.Data.Span, path);
        // Fail on an oversized claim now, before reading (let alone inflating) anything else.
        ImageSizeLimit.Check(path, header.Width, header.Height, options);

        ReadOnlyMemory<byte> palette = default, transparency = default, exif = default;
        var imageData = new List<ReadOnlyMemory<byte>>();
        for (var chunk = reader.Next(); chunk.Type != "IEND"; chunk = reader.Next())
        {
            switch (chunk.Type)
            {
                case "IDAT":
                    imageData.Add(chunk.Data);
                    break;
                case "PLTE":
                    if (imageData.Count > 0 || !palette.IsEmpty)
                        throw new ImageFormatException(path, "PLTE chunk after image data or repeated");
                    if (chunk.Data.Length == 0 || chunk.Data.Length % 3 != 0 || chunk.Data.Length > 256 * 3)
                        throw new ImageFormatException(path, $"PLTE chunk has {chunk.Data.Length} bytes, expected 3 per entry and 1 to 256 entries");
                    palette = chunk.Data;
                    break;
                case "tRNS":
                    transparency = chunk.Data;
                    break;
                case "eXIf":
                    exif = chunk.Data;
                    break;
                case "IHDR":
                    throw new ImageFormatException(path, "second IHDR chunk");
                default:
                    if (chunk.IsCritical)
                        throw new ImageFormatException(path, $"unknown critical chunk {chunk.Type}");
                    break; // ancillary chunks we have no use for (text, gamma, ...) may be skipped
            }
        }
        if (imageData.Count == 0)
            throw new ImageFormatException(path, "no IDAT chunk: the file holds no image data");
        if (header.ColorType == PngColorType.Palette && palette.IsEmpty)
            throw new ImageFormatException(path, "palette image without a PLTE chunk");
        // tRNS is meaningless for colour types that carry alpha; the spec forbids it there, and ignoring it is safe.
        if (header.ColorType is PngColorType.GrayAlpha or PngColorType.Rgba)
            transparency = default;

        var passes = Adam7.Passes(header);
        byte[] raw = Inflate(Concatenate(imageData), ScanlineBytes(header, passes, path), path);
        var converter = new PngPixelConverter(header, path, palette.Span, transparency.Span);
        var image = new RgbImage(header.Width, header.Height, new byte[header.Width * header.Height * 3]);
        Reconstruct(raw, header, passes, converter, image, path);
        return new DecodedImage(image, ExifOrientation.Read(exif.Span));
    }

    /// <summary>Size of the decompressed stream: each non-empty pass row is one filter byte plus its packed pixels.</summary>
    private static int ScanlineBytes(PngHeader header, PngPass[] passes, string path)
    {
        long total = 0;
        foreach (var pass in passes)
        {
            if (!pass.IsEmpty)
                total += pass.Height * (1 + header.RowBytes(pass.Width));
        }
        if (total > Array.MaxLength)
            throw new ImageFormatException(path, $"image data of {total:N0} bytes is too large to decode");
        return (int)total;
    }

    private static byte[] Concatenate(List<ReadOnlyMemory<byte>> parts)
    {
        var all = new byte[parts.Sum(p => p.Length)];
        int offset = 0;
        foreach (var part in parts)
        {
            part.Span.CopyTo(all.AsSpan(offset));
            offset += part.Length;
        }
        return all;
    }

    /// <summary>
    /// Inflates exactly the bytes the header calls for. Reading no further bounds both time and memory
    /// when the stream would expand beyond that (a "zip bomb"); data after it is ignored as libpng does.
    /// </summary>
    private static byte[] Inflate(byte[] compressed, int expected, string path)
    {
        var raw = new byte[expected];
        int read;
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
            read = zlib.ReadAtLeast(raw, expected, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new ImageFormatException(path, $"compressed image data is corrupt ({e.Message})", e);
        }
        if (read < expected)
            throw new ImageFormatException(path, $"image data is truncated: it decompresses to {read:N0} of the {expected:N0} bytes the header calls for");
        return raw;
    }

    /// <summary>Unfilters each pass in place, converts its rows to RGB and puts the pixels where the pass says.</summary>
    private static void Reconstruct(byte[] raw, PngHeader header, PngPass[] passes, PngPixelConverter converter, RgbImage image, string path)
    {
        int offset = 0;
        int stride = header.FilterStride;
        foreach (var pass in passes)
        {
            if (pass.IsEmpty)
                continue;
            int rowBytes = (int)header.RowBytes(pass.Width);
            var rgbRow = new byte[pass.Width * 3];
            Span<byte> previous = new byte[rowBytes]; // the row "above" the first is zeros
            for (int j = 0; j < pass.Height; j++)
            {
                byte filter = raw[offset];
                var row = raw.AsSpan(offset + 1, rowBytes);
                if (!PngFilters.TryUnfilter(filter, row, previous, stride))
                    throw new ImageFormatException(path, $"unknown filter type {filter} on scanline {j} of pass starting at ({pass.XStart}, {pass.YStart})");
                converter.ConvertRow(row, pass.Width, rgbRow);
                Scatter(rgbRow, pass, pass.YStart + j * pass.YStep, image);
                previous = row;
                offset += 1 + rowBytes;
            }
        }
    }

    private static void Scatter(ReadOnlySpan<byte> rgbRow, PngPass pass, int y, RgbImage image)
    {
        int rowStart = y * image.Width * 3;
        if (pass.XStep == 1)
        {
            rgbRow.CopyTo(image.Pixels.AsSpan(rowStart));
            return;
        }
        for (int i = 0; i < pass.Width; i++)
            rgbRow.Slice(3 * i, 3).CopyTo(image.Pixels.AsSpan(rowStart + 3 * (pass.XStart + i * pass.XStep)));
    }
}
