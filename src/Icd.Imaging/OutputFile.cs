using System.Runtime.InteropServices;

namespace Icd.Imaging;

/// <summary>
/// Checks a path a command will write to, before any work starts: not empty, not a folder, in an
/// existing folder the process can write to, with an extension the writer produces, and, if it
/// exists, a regular file. The atomic write renames a temporary file over the target, which would
/// replace a device node or FIFO with the output (issue 37).
/// </summary>
public static partial class OutputFile
{
    /// <param name="option">The option or argument the path came from, for the message (e.g. "--out").</param>
    /// <param name="extensions">Accepted extensions with the dot (e.g. ".png"), case-insensitive.</param>
    public static void Check(string? path, string option, params string[] extensions)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException($"{option}: the output path is empty");
        if (path.EndsWith('/') || Directory.Exists(path))
            throw new ArgumentException($"{option} {path}: is a folder; give a file name inside it{(extensions.Length > 0 ? $", e.g. {Path.Combine(path, "output" + extensions[0])}" : "")}");
        string extension = Path.GetExtension(path);
        if (extensions.Length > 0 && !extensions.Contains(extension, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"{option} {path}: icd writes {string.Join(" or ", extensions.Select(e => e.TrimStart('.').ToUpperInvariant()))} here; name the file {Path.ChangeExtension(Path.GetFileName(path), extensions[0])}");
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(folder); // the writer would create it too; fail now, not after the work
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option} {path}: cannot create the folder {folder} ({e.Message})", e);
        }
        try
        {
            RefuseSpecial(full, option);
        }
        catch (IOException e)
        {
            throw new ArgumentException(e.Message, e);
        }
        // Writable? Create and remove a probe beside the target (the atomic write needs exactly that).
        string probe = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.probe");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write)) { }
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option} {path}: cannot write in {folder} ({e.Message})", e);
        }
    }

    /// <summary>Throws when <paramref name="fullPath"/> exists and is not a regular file (a device,
    /// FIFO or socket, possibly behind a symbolic link).</summary>
    public static void RefuseSpecial(string fullPath, string what)
    {
        if (Directory.Exists(fullPath)) throw new IOException($"{what} {fullPath}: is a folder, not a file");
        if (FileType(fullPath) is { } type && type != RegularFile)
            throw new IOException($"{what} {fullPath}: exists and is not a regular file ({Describe(type)}); icd replaces only regular files");
    }

    private const uint TypeMask = 0xF000, RegularFile = 0x8000;

    private static string Describe(uint type) => type switch
    {
        0x2000 => "a character device",
        0x6000 => "a block device",
        0x1000 => "a FIFO",
        0xC000 => "a socket",
        _ => $"file type 0x{type:X4}",
    };

    /// <summary>The S_IFMT bits of stat(2) (following links), or null when the path does not exist
    /// or the platform's struct stat layout is not known here.</summary>
    private static uint? FileType(string path)
    {
        // st_mode's offset in struct stat: after st_dev, st_ino, st_nlink (8 bytes each) on x86-64;
        // after st_dev, st_ino on arm64 (glibc's generic layout).
        int offset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (offset < 0 || !OperatingSystem.IsLinux()) return null;
        var buffer = new byte[256];
        if (Stat(path, buffer) != 0) return null;
        return BitConverter.ToUInt32(buffer, offset) & TypeMask;
    }

    [LibraryImport("libc.so.6", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, [Out] byte[] buffer);
}
