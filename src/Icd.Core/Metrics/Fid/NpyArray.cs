using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Icd.Metrics.Fid;

/// <summary>A float64 array in NumPy's <c>.npy</c> format (versions 1–3; little-endian
/// <c>&lt;f8</c> or <c>&lt;f4</c>, C or Fortran order), the format pytorch-fid's <c>.npz</c>
/// statistics hold. Written as version 1.0, <c>&lt;f8</c>, C order, as numpy.save writes float64.</summary>
public sealed partial class NpyArray(long[] shape, double[] data)
{
    public long[] Shape { get; } = shape;
    public double[] Data { get; } = data;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranOrder();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();

    public static NpyArray Read(Stream stream, string name)
    {
        using var reader = new BinaryReader(stream, Encoding.Latin1, leaveOpen: true);
        var magic = reader.ReadBytes(6);
        if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"{name}: not a .npy array (no \\x93NUMPY magic)");
        byte major = reader.ReadByte();
        reader.ReadByte();
        long headerLength = major switch
        {
            1 => reader.ReadUInt16(),
            2 or 3 => reader.ReadUInt32(),
            _ => throw new InvalidDataException($"{name}: .npy format version {major} is not known"),
        };
        if (headerLength > 1 << 20) throw new InvalidDataException($"{name}: .npy header of {headerLength} bytes");
        string header = Encoding.Latin1.GetString(reader.ReadBytes((int)headerLength));
        string descr = Descr().Match(header) is { Success: true } d ? d.Groups[1].Value : throw new InvalidDataException($"{name}: .npy header has no 'descr': {header.Trim()}");
        bool fortran = FortranOrder().Match(header) is { Success: true } f && f.Groups[1].Value == "True";
        var shapeText = ShapePattern().Match(header) is { Success: true } s ? s.Groups[1].Value : throw new InvalidDataException($"{name}: .npy header has no 'shape'");
        long[] shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : throw new InvalidDataException($"{name}: bad shape ({shapeText})")).ToArray();
        long count = shape.Aggregate(1L, (a, b) => checked(a * b));
        int size = descr switch
        {
            "<f8" => 8,
            "<f4" => 4,
            _ => throw new InvalidDataException($"{name}: dtype '{descr}' is not supported (float64 '<f8' or float32 '<f4')"),
        };
        if (count > int.MaxValue / size) throw new InvalidDataException($"{name}: {count} elements are too many");
        var bytes = reader.ReadBytes((int)count * size);
        if (bytes.Length != count * size) throw new InvalidDataException($"{name}: the data ends after {bytes.Length} of {count * size} bytes");
        var data = new double[count];
        for (int i = 0; i < count; i++)
            data[i] = size == 8 ? BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i * 8)) : BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
        if (fortran && shape.Length == 2) data = Transpose(data, shape[1], shape[0]);
        else if (fortran && shape.Length > 2) throw new InvalidDataException($"{name}: Fortran-order arrays of {shape.Length} dimensions are not supported");
        return new NpyArray(shape, data);
    }

    private static double[] Transpose(double[] data, long rows, long cols)
    {
        var result = new double[data.Length];
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++) result[c * rows + r] = data[r * cols + c];
        return result;
    }

    public void Write(Stream stream)
    {
        string shape = Shape.Length == 1 ? $"({Shape[0]},)" : "(" + string.Join(", ", Shape) + ")";
        string dict = $"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}";
        // The whole preamble is padded with spaces to a multiple of 64 bytes and ends in a newline.
        int total = 10 + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        string header = dict + new string(' ', padded - total) + "\n";
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(header));
        var bytes = new byte[Data.Length * 8];
        for (int i = 0; i < Data.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), Data[i]);
        stream.Write(bytes);
    }
}
