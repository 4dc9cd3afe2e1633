namespace Icd.Hub;

/// <summary>One file's download so far: bytes on disk (a resumed file starts above zero) out of its size.</summary>
public readonly record struct DownloadProgress(string File, long Bytes, long? TotalBytes, double BytesPerSecond)
{
    public TimeSpan? Remaining => TotalBytes is { } total && BytesPerSecond > 0 ? TimeSpan.FromSeconds((total - Bytes) / BytesPerSecond) : null;
}
