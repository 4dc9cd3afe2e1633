using System.Buffers.Binary;
using System.Diagnostics;

namespace Icd.Imaging.Tests;

/// <summary>Bad input fails with a clear <see cref="ImageFormatException"/> naming the file, never a crash or a hang.</summary>
public class ErrorTests
{
    private static ImageFormatException ReadFails(byte[] bytes, string extension = ".png", ImageReadOptions? options = null) =>
        TestFiles.WithTempFile(bytes, extension, path =>
        {
            var e = Assert.Throws<ImageFormatException>(() => ImageFile.Read(path, options));
            Assert.Equal(path, e.FilePath);
            Assert.StartsWith(path + ": ", e.Message);
            return e;
        });

    [Fact]
    public void MissingFileNamesThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid().ToString("N"), "missing.png");
        var e = Assert.Throws<FileNotFoundException>(() => ImageFile.Read(path));
        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void WrongMagicIsNotAnImage()
    {
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Read(TestFiles.Data("not_an_image.png")));
        Assert.Contains("not a PNG or JPEG file", e.Message);
        Assert.Contains("not a PNG or JPEG file", ReadFails([]).Message);
    }

    [Fact]
    public void HugeDimensionsFailFastBeforeAllocating()
    {
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Read(TestFiles.Data("huge_dimensions.png")));
        Assert.True(clock.ElapsedMilliseconds < 1000, $"took {clock.ElapsedMilliseconds} ms");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 1 << 20, "allocated more than 1 MiB");
        Assert.Contains("100000×100000", e.Message);
        Assert.Contains("67,108,864", e.Message);
        Assert.Contains("MaxPixels", e.Message);
    }

    [Fact]
    public void HugeJpegFailsFastBeforeDecoding()
    {
        byte[] jpeg = File.ReadAllBytes(TestFiles.Data("rgb.jpg"));
        int frame = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]); // SOF0: length, precision, height, width
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(frame + 5), 60000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(frame + 7), 50000);
        var clock = Stopwatch.StartNew();
        var e = ReadFails(jpeg, ".jpg");
        Assert.True(clock.ElapsedMilliseconds < 1000, $"took {clock.ElapsedMilliseconds} ms");
        Assert.Contains("50000×60000", e.Message);
        Assert.Contains("MaxPixels", e.Message);
    }

    [Fact]
    public void StrayBytesBeforeAJpegMarkerAreTolerated()
    {
        // libjpeg only warns about these ("2 extraneous bytes before marker 0xda") and the pixels are intact.
        byte[] jpeg = File.ReadAllBytes(TestFiles.Data("rgb.jpg"));
        int scan = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xDA]);
        byte[] flawed = [.. jpeg[..scan], 0x12, 0x34, .. jpeg[scan..]];
        var image = TestFiles.WithTempFile(flawed, ".jpg", path => ImageFile.Read(path));
        Assert.Equal(ImageFile.Read(TestFiles.Data("rgb.jpg")).Pixels, image.Pixels);
    }

    [Theory]
    [InlineData("rgb_8.png")]
    [InlineData("rgb.jpg")]
    public void MaxPixelsOptionIsEnforced(string file)
    {
        var options = new ImageReadOptions { MaxPixels = 90 };
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Read(TestFiles.Data(file), options));
        Assert.Contains("more than the limit of 90 pixels", e.Message);
        Assert.NotNull(ImageFile.Read(TestFiles.Data(file), new ImageReadOptions { MaxPixels = 13 * 7 * 100 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageReadOptions { MaxPixels = 0 });
    }

    [Theory]
    [InlineData("rgb_8.png")]
    [InlineData("interlaced_palette_4.png")]
    public void EveryTruncationOfAPngFails(string file)
    {
        byte[] whole = File.ReadAllBytes(TestFiles.Data(file));
        for (int length = 0; length < whole.Length; length++)
            ReadFails(whole[..length]);
        Assert.Contains("truncated", ReadFails(whole[..(whole.Length - 20)]).Message);
    }

    [Fact]
    public void TruncatedJpegFails()
    {
        byte[] whole = File.ReadAllBytes(TestFiles.Data("rgb.jpg"));
        foreach (int length in new[] { 3, 20, 200, whole.Length / 2, whole.Length - 40, whole.Length - 2 })
            ReadFails(whole[..length], ".jpg");
        Assert.Contains("truncated", ReadFails(whole[..(whole.Length - 40)], ".jpg").Message);
        Assert.Contains("truncated", ReadFails(whole[..20], ".jpg").Message);
    }

    [Fact]
    public void BadCrcIsReported()
    {
        byte[] png = File.ReadAllBytes(TestFiles.Data("rgb_8.png"));
        png[45] ^= 0x01; // inside the first IDAT's data: IHDR ends at byte 33, IDAT data starts at 41
        var e = ReadFails(png);
        Assert.Contains("CRC mismatch in IDAT", e.Message);
    }

    [Fact]
    public void CorruptCompressedDataIsReported()
    {
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Read(TestFiles.Data("corrupt_zlib.png")));
        Assert.Contains("compressed image data is corrupt", e.Message);
    }

    [Fact]
    public void InvalidHeaderFieldsAreReported()
    {
        byte[] png = File.ReadAllBytes(TestFiles.Data("rgb_8.png"));
        png[24] = 3; // bit depth 3 is not allowed
        TestFiles.FixCrcs(png);
        Assert.Contains("bit depth 3", ReadFails(png).Message);

        png = File.ReadAllBytes(TestFiles.Data("rgb_8.png"));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 0); // width 0
        TestFiles.FixCrcs(png);
        Assert.Contains("invalid image size", ReadFails(png).Message);
    }

    [Fact]
    public void CorruptPngNeverEscapesAsAnotherException()
    {
        // Random damage with CRCs recomputed, so it reaches the header checks, zlib, filters and palette lookups.
        var random = new Random(12345);
        foreach (string file in new[] { "rgb_8.png", "palette_4_trns.png", "interlaced_rgb_8.png", "gray_alpha_16.png", "exif_orientation_6.png" })
        {
            byte[] original = File.ReadAllBytes(TestFiles.Data(file));
            for (int trial = 0; trial < 60; trial++)
            {
                byte[] damaged = (byte[])original.Clone();
                for (int k = random.Next(1, 4); k > 0; k--)
                    damaged[random.Next(8, damaged.Length)] = (byte)random.Next(256);
                TestFiles.FixCrcs(damaged);
                TestFiles.WithTempFile(damaged, ".png", path => ReadOrFormatError(path));
            }
        }
    }

    [Fact]
    public void CorruptJpegNeverEscapesAsAnotherException()
    {
        var random = new Random(54321);
        byte[] original = File.ReadAllBytes(TestFiles.Data("orientation_6.jpg"));
        for (int trial = 0; trial < 100; trial++)
        {
            byte[] damaged = (byte[])original.Clone();
            for (int k = random.Next(1, 4); k > 0; k--)
                damaged[random.Next(3, damaged.Length)] = (byte)random.Next(256);
            TestFiles.WithTempFile(damaged, ".jpg", path => ReadOrFormatError(path));
        }
    }

    /// <summary>Damage may leave a decodable image; what matters is that failure only ever takes one form.</summary>
    private static bool ReadOrFormatError(string path)
    {
        try
        {
            var image = ImageFile.Read(path);
            Assert.Equal(image.Width * image.Height * 3, image.Pixels.Length);
            return true;
        }
        catch (ImageFormatException e)
        {
            Assert.StartsWith(path, e.Message);
            return false;
        }
    }
}
