using System.Text;

namespace Icd.Imaging.Tests;

public class PngEncoderTests
{
    private static RgbImage Noise(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        // A smooth band too, so the adaptive filter picks something other than None.
        for (int i = 0; i < pixels.Length / 2; i++)
            pixels[i] = (byte)(i / 7);
        return new RgbImage(width, height, pixels);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(17, 9)]
    [InlineData(64, 3)]
    public void WriteThenReadGivesTheSamePixels(int width, int height)
    {
        string directory = TestFiles.NewDirectory();
        try
        {
            var image = Noise(width, height, seed: width * 31 + height);
            string path = Path.Combine(directory, "out.png");
            PngEncoder.Write(path, image);
            var read = ImageFile.Read(path);
            Assert.Equal((width, height), (read.Width, read.Height));
            Assert.Equal(image.Pixels, read.Pixels);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void EncodedFileIsWellFormedRgb8()
    {
        var chunks = TestFiles.Chunks(PngEncoder.Encode(Noise(20, 10, seed: 1)));
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
        // 20×10, bit depth 8, colour type 2, compression 0, filter 0, no interlace.
        Assert.Equal([0, 0, 0, 20, 0, 0, 0, 10, 8, 2, 0, 0, 0], chunks[0].Data);
        Assert.Empty(chunks[2].Data);
    }

    [Fact]
    public void TextMetadataIsStoredAsTextChunks()
    {
        var text = new Dictionary<string, string> { ["seed"] = "42", ["prompt"] = "a café at dusk", ["negative prompt"] = "blurry, 日本語" };
        var chunks = TestFiles.Chunks(PngEncoder.Encode(RgbImage.Blank(4, 4), text));
        Assert.Contains(chunks, c => c.Type == "tEXt" && c.Data.SequenceEqual("seed\0"u8.ToArray().Concat(Encoding.Latin1.GetBytes("42"))));
        Assert.Contains(chunks, c => c.Type == "tEXt" && c.Data.SequenceEqual(Encoding.Latin1.GetBytes("prompt\0a café at dusk")));
        // Not Latin-1, so it needs iTXt: keyword, NUL, no compression, empty language and translated keyword, UTF-8.
        byte[] international = [.. Encoding.Latin1.GetBytes("negative prompt"), 0, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes("blurry, 日本語")];
        Assert.Contains(chunks, c => c.Type == "iTXt" && c.Data.SequenceEqual(international));
        Assert.True(chunks.FindIndex(c => c.Type == "tEXt") < chunks.FindIndex(c => c.Type == "IDAT"));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" seed")]
    [InlineData("two  spaces")]
    [InlineData("tab\there")]
    public void InvalidKeywordIsRejected(string keyword)
    {
        var e = Assert.Throws<ArgumentException>(() => PngEncoder.Encode(RgbImage.Blank(1, 1), new Dictionary<string, string> { [keyword] = "x" }));
        Assert.Contains("keyword", e.Message);
    }

    [Fact]
    public void NulInTextIsRejected() =>
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(RgbImage.Blank(1, 1), new Dictionary<string, string> { ["seed"] = "4\02" }));

    [Fact]
    public void WriteReplacesAtomicallyAndLeavesNoTemporaryFile()
    {
        string directory = TestFiles.NewDirectory();
        try
        {
            string path = Path.Combine(directory, "image.png");
            File.WriteAllText(path, "old contents");
            PngEncoder.Write(path, RgbImage.Blank(3, 2, 10, 20, 30), new Dictionary<string, string> { ["seed"] = "7" });
            Assert.Equal([path], Directory.GetFiles(directory));
            Assert.Equal((10, 20, 30), ImageFile.Read(path)[2, 1]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void FailedWriteDeletesItsTemporaryFile()
    {
        string directory = TestFiles.NewDirectory();
        try
        {
            // The target is a directory, so the final rename fails after the temporary file was written.
            string target = Path.Combine(directory, "taken.png");
            Directory.CreateDirectory(target);
            Assert.ThrowsAny<IOException>(() => PngEncoder.Write(target, RgbImage.Blank(2, 2)));
            Assert.Empty(Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
