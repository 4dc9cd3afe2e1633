using System.Diagnostics;
using Icd.Imaging;
using Xunit.Abstractions;

namespace Icd.Web.Tests;

/// <summary>Issue 37, item 13: the page as a first-time user sees it, rendered by headless Chromium
/// (when it is installed: <c>apt-get install chromium</c>). The screenshot is kept in the test
/// output folder (<c>page.png</c>) for a person to look at; the test checks it rendered the page
/// with the example loaded, not a blank or error page.</summary>
public class PageScreenshotTests(ServerFixture server, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private static string? Chromium() => new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    [Fact]
    public void ThePageRendersWithTheExampleAndItsNotes()
    {
        if (Chromium() is not { } chromium)
        {
            output.WriteLine("chromium is not installed: no screenshot taken");
            return;
        }
        string shot = Path.Combine(AppContext.BaseDirectory, "page.png");
        File.Delete(shot);
        var info = new ProcessStartInfo(chromium)
        {
            ArgumentList =
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1100,900",
                "--virtual-time-budget=8000", $"--screenshot={shot}", server.Client.BaseAddress!.ToString(),
            },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using (var p = Process.Start(info)!)
        {
            p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEndAsync();
            Assert.True(p.WaitForExit(60_000), "chromium did not finish within 60 s");
        }
        Assert.True(File.Exists(shot), "chromium wrote no screenshot");
        output.WriteLine($"screenshot: {shot}");
        var image = ImageFile.Read(shot);
        Assert.Equal(1100, image.Width);
        // The header band is the page's dark blue (#24323f), and the example image's preview has loaded:
        // the preview box (left column) is not the empty placeholder grey.
        Assert.Equal(((byte)0x24, (byte)0x32, (byte)0x3f), image[5, 5]);
        var preview = image[20 + 14 + 96, 150];
        Assert.NotEqual(((byte)0xee, (byte)0xee, (byte)0xee), preview);
    }
}
