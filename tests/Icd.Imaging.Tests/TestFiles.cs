using System.Buffers.Binary;

namespace Icd.Imaging.Tests;

/// <summary>Fixture paths, scratch directories and a reference CRC for tests that build or patch PNG chunks.</summary>
internal static class TestFiles
{
    public static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);

    /// <summary>A fresh empty directory under the system temp folder; callers delete it.</summary>
    public static string NewDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), "icd-imaging-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Bit-by-bit CRC-32, written independently of the library's table-driven one.</summary>
    public static uint Crc(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    /// <summary>The chunks of a PNG as (type, data), asserting the signature and every CRC.</summary>
    public static List<(string Type, byte[] Data)> Chunks(byte[] png)
    {
        Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        var chunks = new List<(string, byte[])>();
        for (int p = 8; p < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(p));
            Assert.Equal(Crc(png.AsSpan(p + 4, 4 + length)), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(p + 8 + length)));
            chunks.Add((System.Text.Encoding.ASCII.GetString(png, p + 4, 4), png[(p + 8)..(p + 8 + length)]));
            p += 12 + length;
        }
        return chunks;
    }

    /// <summary>Recomputes every chunk CRC in place, so a deliberate corruption reaches the layers behind the CRC check.</summary>
    public static void FixCrcs(byte[] png)
    {
        for (int p = 8; p + 12 <= png.Length;)
        {
            long length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(p));
            if (p + 12 + length > png.Length)
                return;
            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(p + 8 + (int)length), Crc(png.AsSpan(p + 4, 4 + (int)length)));
            p += 12 + (int)length;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to a temp file, runs <paramref name="read"/> on it, deletes it.</summary>
    public static T WithTempFile<T>(byte[] bytes, string extension, Func<string, T> read)
    {
        string path = Path.Combine(Path.GetTempPath(), $"icd-imaging-{Guid.NewGuid():N}{extension}");
        File.WriteAllBytes(path, bytes);
        try
        {
            return read(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
