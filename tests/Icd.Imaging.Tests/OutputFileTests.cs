using System.Diagnostics;

namespace Icd.Imaging.Tests;

/// <summary>Issue 37, item 1: an output path is checked before the work, and the atomic write never
/// replaces something that is not a regular file.</summary>
public class OutputFileTests
{
    [Fact]
    public void AtomicWriteLeavesAFifoInPlace()
    {
        var dir = Directory.CreateTempSubdirectory("icd-out-");
        try
        {
            string fifo = Path.Combine(dir.FullName, "pipe.png");
            using (var mk = Process.Start("mkfifo", fifo)) mk.WaitForExit();
            var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes(fifo, [1, 2, 3]));
            Assert.Contains("not a regular file (a FIFO)", e.Message);
            Assert.Contains(fifo, e.Message);
            Assert.Throws<ArgumentException>(() => OutputFile.Check(fifo, "--out", ".png"));
            // Still a FIFO: GetAttributes would not tell, but the same check does.
            Assert.Throws<IOException>(() => OutputFile.RefuseSpecial(fifo, "x"));
            Assert.Single(Directory.GetFiles(dir.FullName)); // no temporary file left
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void DeviceNodesAreRefusedWithoutBeingTouched()
    {
        var e = Assert.Throws<IOException>(() => OutputFile.RefuseSpecial("/dev/null", "--out"));
        Assert.Contains("a character device", e.Message);
        Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes("/dev/null", [1]));
    }

    [Theory]
    [InlineData("", "the output path is empty")]
    [InlineData("  ", "the output path is empty")]
    [InlineData("/tmp/", "is a folder")]
    [InlineData("/tmp", "is a folder")]
    [InlineData("/tmp/x.jpg", "icd writes PNG here; name the file x.png")]
    [InlineData("/tmp/noextension", "icd writes PNG here")]
    [InlineData("/proc/version/x.png", "cannot create the folder")]
    public void BadOutputPathsAreRefusedBeforeAnyWork(string path, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => OutputFile.Check(path, "--out", ".png"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("--out", e.Message);
    }

    [Fact]
    public void AGoodPathPassesAndLeavesNothingBehind()
    {
        var dir = Directory.CreateTempSubdirectory("icd-out-");
        try
        {
            string target = Path.Combine(dir.FullName, "new", "edited.PNG");
            OutputFile.Check(target, "--out", ".png");
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(dir.FullName, "new")));
            AtomicFile.WriteAllBytes(target, [7]);
            OutputFile.Check(target, "--out", ".png"); // an existing regular file may be replaced
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
