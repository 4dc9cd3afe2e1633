namespace Icd.Imaging;

/// <summary>Writes a file so that readers see either the old contents or the complete new ones, never a partial file.</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string contents) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(contents));

    public static void WriteAllLines(string path, IEnumerable<string> lines) =>
        WriteAllText(path, string.Concat(lines.Select(l => l + Environment.NewLine)));

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> contents)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        // The rename below would replace a device node or FIFO with this file.
        OutputFile.RefuseSpecial(fullPath, "output");
        // Same directory, hence same file system, so the final move is a rename and cannot be half done.
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporary); // no-op when it was never created
            throw;
        }
    }
}
