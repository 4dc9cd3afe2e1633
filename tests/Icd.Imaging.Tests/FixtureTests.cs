using System.Text.Json;

namespace Icd.Imaging.Tests;

/// <summary>
/// Every fixture of tests/tools/make_image_fixtures.py decodes to the pixels Pillow decoded from the same file.
/// PNGs must match exactly; JPEGs within the manifest's tolerance of 2 levels, since TurboJPEG and Pillow's
/// libjpeg may be different builds.
/// </summary>
public class FixtureTests
{
    private sealed record Fixture(string File, int Width, int Height, int Tolerance);

    private static readonly Fixture[] Manifest = JsonSerializer.Deserialize<Fixture[]>(
        File.ReadAllText(TestFiles.Data("manifest.json")), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    public static TheoryData<string> Files() => new(Manifest.Select(f => f.File));

    [Theory]
    [MemberData(nameof(Files))]
    public void DecodesLikePillow(string file)
    {
        var fixture = Manifest.Single(f => f.File == file);
        var image = ImageFile.Read(TestFiles.Data(file));
        Assert.Equal((fixture.Width, fixture.Height), (image.Width, image.Height));
        byte[] expected = File.ReadAllBytes(TestFiles.Data(file + ".rgb"));
        Assert.Equal(expected.Length, image.Pixels.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            int difference = Math.Abs(expected[i] - image.Pixels[i]);
            if (difference > fixture.Tolerance)
            {
                int pixel = i / 3;
                Assert.Fail($"{file}: pixel ({pixel % image.Width}, {pixel / image.Width}) channel {i % 3} is {image.Pixels[i]}, " +
                    $"expected {expected[i]} ± {fixture.Tolerance}");
            }
        }
    }

    [Fact]
    public void ManifestCoversEveryKindOfFixture()
    {
        // Guards against a fixture script change silently dropping cases.
        var names = Manifest.Select(f => f.File).ToHashSet();
        foreach (string name in new[] { "gray_1.png", "gray_2.png", "gray_4.png", "gray_8.png", "gray_16.png", "rgb_8.png", "rgb_16.png",
                     "palette_1.png", "palette_2_trns.png", "palette_4.png", "palette_8_trns.png", "gray_alpha_8.png", "rgba_8.png",
                     "rgba_16.png", "interlaced_rgb_8.png", "exif_orientation_6.png", "rgb.jpg", "gray.jpg", "orientation_8_motorola.jpg" })
            Assert.Contains(name, names);
        for (int orientation = 2; orientation <= 8; orientation++)
            Assert.Contains($"orientation_{orientation}.jpg", names);
    }

    [Fact]
    public void RotatedJpegIsUpright()
    {
        // The pattern's red 5×5 block sits at the stored top-left; orientation 6 means turn clockwise, so it ends top-right.
        var upright = ImageFile.Read(TestFiles.Data("rgb.jpg"));
        var rotated = ImageFile.Read(TestFiles.Data("orientation_6.jpg"));
        Assert.Equal((upright.Height, upright.Width), (rotated.Width, rotated.Height));
        var (r, g, b) = rotated[rotated.Width - 2, 2];
        Assert.True(r > 230 && g < 30 && b < 30, $"expected red, got ({r}, {g}, {b})");
    }
}
