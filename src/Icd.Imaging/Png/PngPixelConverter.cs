namespace Icd.Imaging.Png;

/// <summary>
/// Turns unfiltered PNG scanlines of any colour type and bit depth into 8-bit RGB.
/// <list type="bullet">
/// <item>Transparency (alpha channels, tRNS) is composited over white: out = (a·c + (255 − a)·255) / 255, rounded.</item>
/// <item>16-bit samples keep their high byte (v >> 8), as libpng's png_set_strip_16 and PIL do; the at most
/// one-level difference from exact rescaling (v·255/65535) is invisible and keeps us bit-exact with those tools.
/// Alpha is reduced the same way before compositing.</item>
/// <item>1, 2 and 4-bit gray is scaled to 0–255 by bit replication (×255, ×85, ×17), as the spec recommends.</item>
/// </list>
/// </summary>
internal sealed class PngPixelConverter
{
    private readonly PngHeader _header;
    private readonly string _path;
    private readonly byte[]? _paletteRgb; // palette already composited over white, three bytes per entry
    private readonly ushort[]? _colorKey; // the raw gray or (R, G, B) sample values that tRNS marks transparent

    public PngPixelConverter(PngHeader header, string path, ReadOnlySpan<byte> palette, ReadOnlySpan<byte> transparency)
    {
        _header = header;
        _path = path;
        if (header.ColorType == PngColorType.Palette)
            _paletteRgb = CompositePalette(palette, transparency);
        else if (header.ColorType is PngColorType.Gray or PngColorType.Rgb && !transparency.IsEmpty)
            _colorKey = ParseColorKey(transparency);
    }

    /// <summary>Converts the first <paramref name="count"/> pixels of <paramref name="row"/> into <paramref name="rgb"/>.</summary>
    public void ConvertRow(ReadOnlySpan<byte> row, int count, Span<byte> rgb)
    {
        int bitDepth = _header.BitDepth;
        switch (_header.ColorType)
        {
            case PngColorType.Gray:
                int scale = bitDepth < 8 ? 255 / ((1 << bitDepth) - 1) : 1;
                for (int i = 0; i < count; i++)
                {
                    int raw = Sample(row, i, bitDepth);
                    byte gray = _colorKey is not null && raw == _colorKey[0]
                        ? (byte)255
                        : (byte)(bitDepth == 16 ? raw >> 8 : raw * scale);
                    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray;
                }
                break;
            case PngColorType.Rgb:
                for (int i = 0; i < count; i++)
                {
                    int r = Sample(row, 3 * i, bitDepth), g = Sample(row, 3 * i + 1, bitDepth), b = Sample(row, 3 * i + 2, bitDepth);
                    bool transparent = _colorKey is not null && r == _colorKey[0] && g == _colorKey[1] && b == _colorKey[2];
                    int shift = bitDepth == 16 ? 8 : 0;
                    rgb[3 * i] = transparent ? (byte)255 : (byte)(r >> shift);
                    rgb[3 * i + 1] = transparent ? (byte)255 : (byte)(g >> shift);
                    rgb[3 * i + 2] = transparent ? (byte)255 : (byte)(b >> shift);
                }
                break;
            case PngColorType.Palette:
                int entries = _paletteRgb!.Length / 3;
                for (int i = 0; i < count; i++)
                {
                    int index = Sample(row, i, bitDepth);
                    if (index >= entries)
                        throw new ImageFormatException(_path, $"pixel uses palette index {index} but the palette has only {entries} entries");
                    _paletteRgb.AsSpan(3 * index, 3).CopyTo(rgb[(3 * i)..]);
                }
                break;
            case PngColorType.GrayAlpha:
                for (int i = 0; i < count; i++)
                {
                    byte gray = OverWhite(High(row, 2 * i), High(row, 2 * i + 1));
                    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray;
                }
                break;
            case PngColorType.Rgba:
                for (int i = 0; i < count; i++)
                {
                    byte alpha = High(row, 4 * i + 3);
                    for (int c = 0; c < 3; c++)
                        rgb[3 * i + c] = OverWhite(High(row, 4 * i + c), alpha);
                }
                break;
        }
    }

    /// <summary>Composites one channel over a white background, rounding half up.</summary>
    public static byte OverWhite(int channel, int alpha) => (byte)((alpha * channel + (255 - alpha) * 255 + 127) / 255);

    /// <summary>The full-precision value of sample number <paramref name="index"/> in the row (samples, not pixels).</summary>
    private static int Sample(ReadOnlySpan<byte> row, int index, int bitDepth)
    {
        switch (bitDepth)
        {
            case 8:
                return row[index];
            case 16:
                return row[2 * index] << 8 | row[2 * index + 1];
            default:
                // Sub-byte samples are packed from the most significant bit down.
                int bit = index * bitDepth;
                int shift = 8 - bitDepth - (bit & 7);
                return (row[bit >> 3] >> shift) & ((1 << bitDepth) - 1);
        }
    }

    /// <summary>Sample number <paramref name="index"/> reduced to 8 bits (only for depths 8 and 16).</summary>
    private byte High(ReadOnlySpan<byte> row, int index) => _header.BitDepth == 16 ? row[2 * index] : row[index];

    private byte[] CompositePalette(ReadOnlySpan<byte> palette, ReadOnlySpan<byte> alphas)
    {
        if (alphas.Length > palette.Length / 3)
            throw new ImageFormatException(_path, $"tRNS chunk has {alphas.Length} entries but the palette only {palette.Length / 3}");
        var table = new byte[palette.Length];
        for (int i = 0; i < table.Length; i++)
        {
            int entry = i / 3;
            table[i] = entry < alphas.Length ? OverWhite(palette[i], alphas[entry]) : palette[i];
        }
        return table;
    }

    private ushort[] ParseColorKey(ReadOnlySpan<byte> transparency)
    {
        int samples = _header.ColorType == PngColorType.Gray ? 1 : 3;
        if (transparency.Length != 2 * samples)
            throw new ImageFormatException(_path, $"tRNS chunk has {transparency.Length} bytes, expected {2 * samples} for colour type {(int)_header.ColorType}");
        var key = new ushort[samples];
        for (int i = 0; i < samples; i++)
            key[i] = (ushort)(transparency[2 * i] << 8 | transparency[2 * i + 1]);
        return key;
    }
}
