namespace Icd.Torch.Serialization;

/// <summary>A torch.save file that cannot be read: names the file and what is wrong with it.</summary>
public sealed class CheckpointFormatException(string path, string problem, Exception? innerException = null)
    : IOException($"{path}: {problem}", innerException)
{
    public string Path { get; } = path;

    /// <summary>The data stopped before the pickle did: a reader holding only the start of a file
    /// (the legacy format's pickles) may read more and try again.</summary>
    public bool EndsEarly { get; init; }
}
