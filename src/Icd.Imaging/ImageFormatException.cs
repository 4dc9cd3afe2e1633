namespace Icd.Imaging;

/// <summary>
/// An image file that cannot be decoded: wrong format, corrupt, truncated or over the size limit.
/// It derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed: a caller's one
/// catch of IOException then covers missing, unreadable and undecodable image files alike.
/// </summary>
public sealed class ImageFormatException : IOException
{
    public ImageFormatException(string path, string problem, Exception? innerException = null)
        : base($"{path}: {problem}", innerException)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file that could not be read.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the path.</summary>
    public string Problem { get; }
}
