using System.Text.Json;

namespace Icd.Imaging.Tests;

/// <summary>PillowResize reproduces Pillow 9.4's Image.resize byte for byte (expected bytes from
/// tests/tools/make_pillow_resize_reference.py, run on Debian's python3-pil).</summary>
public class PillowResizeTests
{
    public static TheoryData<string, int, int, string> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestFiles.Data("resize/resize.json")));
        var data = new TheoryData<string, int, int, string>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            data.Add(c.GetProperty("filter").GetString()!, c.GetProperty("width").GetInt32(), c.GetProperty("height").GetInt32(), c.GetProperty("file").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPillowExactly(string filter, int width, int height, string file)
    {
        var source = new RgbImage(37, 23, File.ReadAllBytes(TestFiles.Data("resize/source.rgb")));
        var resized = PillowResize.Resize(source, width, height, filter switch { "bicubic" => PillowFilter.Bicubic, "bilinear" => PillowFilter.Bilinear, _ => PillowFilter.Lanczos });
        var expected = File.ReadAllBytes(TestFiles.Data("resize/" + file));
        Assert.Equal(width, resized.Width);
        Assert.Equal(height, resized.Height);
        int differing = expected.Zip(resized.Pixels).Count(p => p.First != p.Second);
        Assert.True(differing == 0, $"{differing} of {expected.Length} bytes differ from Pillow");
    }

    [Fact]
    public void SameSizeIsACopy()
    {
        var source = new RgbImage(2, 1, [1, 2, 3, 4, 5, 6]);
        var copy = PillowResize.Resize(source, 2, 1);
        Assert.Equal(source.Pixels, copy.Pixels);
        Assert.NotSame(source.Pixels, copy.Pixels);
    }

    [Fact]
    public void NonPositiveTargetIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PillowResize.Resize(RgbImage.Blank(3, 3), 0, 3));
}
