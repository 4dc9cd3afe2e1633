using Icd.Imaging.Exif;

namespace Icd.Imaging.Tests;

/// <summary>The IFD0 walker on hand-built TIFF blocks, including broken ones that must just mean "upright".</summary>
public class ExifOrientationTests
{
    /// <summary>A TIFF block whose IFD0 holds one orientation entry of the given type.</summary>
    private static byte[] Tiff(bool littleEndian, ushort type, uint value, uint count = 1)
    {
        var block = new List<byte>();
        void Add16(int v) => block.AddRange(littleEndian ? [(byte)v, (byte)(v >> 8)] : [(byte)(v >> 8), (byte)v]);
        void Add32(uint v) => block.AddRange(littleEndian
            ? [(byte)v, (byte)(v >> 8), (byte)(v >> 16), (byte)(v >> 24)]
            : [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
        block.AddRange(littleEndian ? "II"u8.ToArray() : "MM"u8.ToArray());
        Add16(42);
        Add32(8);
        Add16(1);
        Add16(0x0112);
        Add16(type);
        Add32(count);
        if (type == 3) { Add16((int)value); Add16(0); } else Add32(value);
        Add32(0);
        return [.. block];
    }

    [Theory]
    [InlineData(true, 6)]
    [InlineData(false, 6)]
    [InlineData(true, 8)]
    [InlineData(false, 3)]
    public void ReadsShortInBothByteOrders(bool littleEndian, int orientation) =>
        Assert.Equal(orientation, ExifOrientation.Read(Tiff(littleEndian, 3, (uint)orientation)));

    [Fact]
    public void AcceptsLongTypeAndJpegPrefix()
    {
        Assert.Equal(5, ExifOrientation.Read(Tiff(false, 4, 5)));
        Assert.Equal(7, ExifOrientation.Read([.. "Exif\0\0"u8.ToArray(), .. Tiff(true, 3, 7)]));
    }

    [Fact]
    public void MalformedBlocksMeanUpright()
    {
        Assert.Equal(1, ExifOrientation.Read([]));
        Assert.Equal(1, ExifOrientation.Read("II*\0"u8));
        Assert.Equal(1, ExifOrientation.Read(Tiff(true, 3, 9)));          // out of range
        Assert.Equal(1, ExifOrientation.Read(Tiff(true, 3, 0)));
        Assert.Equal(1, ExifOrientation.Read(Tiff(true, 3, 6, count: 2))); // not a single value
        Assert.Equal(1, ExifOrientation.Read(Tiff(true, 2, 6)));           // ASCII type
        byte[] block = Tiff(true, 3, 6);
        block[4] = 0xFF; block[7] = 0x7F;                                   // IFD offset past the end
        Assert.Equal(1, ExifOrientation.Read(block));
        block = Tiff(true, 3, 6);
        block[8] = 0xFF; block[9] = 0xFF;                                   // 65535 entries claimed
        Assert.Equal(1, ExifOrientation.Read(block[..^6]));
        block = Tiff(true, 3, 6);
        block[2] = 43;                                                      // not TIFF's magic 42
        Assert.Equal(1, ExifOrientation.Read(block));
    }
}
