using System.Buffers.Binary;
using System.Text;

namespace Icd.Imaging.Png;

/// <summary>One chunk: its four-letter type and a view of its data inside the file bytes.</summary>
internal readonly record struct PngChunk(string Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>Bit 5 of the first letter: upper case means a decoder must understand the chunk.</summary>
    public bool IsCritical => char.IsAsciiLetterUpper(Type[0]);
}

/// <summary>Walks the chunks of a PNG file held in memory, checking lengths and CRCs as it goes.</summary>
internal sealed class PngChunkReader(byte[] file, string path)
{
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private int _position = Signature.Length;

    /// <summary>The next chunk; throws if the file ends inside one, since every PNG must end with IEND.</summary>
    public PngChunk Next()
    {
        if (file.Length - _position < 12)
            throw new ImageFormatException(path, $"file is truncated: it ends at byte {file.Length} before the IEND chunk");
        uint length = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(_position));
        var type = file.AsSpan(_position + 4, 4);
        string typeName = Encoding.ASCII.GetString(type);
        foreach (byte letter in type)
        {
            if (!char.IsAsciiLetter((char)letter))
                throw new ImageFormatException(path, $"invalid chunk type bytes {Convert.ToHexString(type)} at byte {_position}");
        }
        // Compare against what is left before slicing, so a huge length cannot overflow or allocate.
        if (length > (uint)(file.Length - _position - 12))
            throw new ImageFormatException(path, $"file is truncated: {typeName} chunk at byte {_position} claims {length} bytes but the file ends first");
        var data = new ReadOnlyMemory<byte>(file, _position + 8, (int)length);
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(_position + 8 + (int)length));
        uint actual = Crc32.Compute(type, data.Span);
        if (stored != actual)
            throw new ImageFormatException(path, $"CRC mismatch in {typeName} chunk at byte {_position} (stored {stored:X8}, computed {actual:X8}): the file is corrupt");
        _position += 12 + (int)length;
        return new PngChunk(typeName, data);
    }
}
