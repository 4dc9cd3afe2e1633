namespace Icd.Tests;

/// <summary>Locations of the repository and of the shared reference cases beside it.</summary>
internal static class Paths
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary><c>../shared/reference</c> next to the clone (as on developer machines and CI).</summary>
    public static string SharedReference => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "reference"));

    /// <summary>The metric networks' reference cases, made here by <c>tests/tools/make_*_reference.py</c>.</summary>
    public static string MetricReference => Path.Combine(RepositoryRoot, "tests", "reference");

    public static string TinySd => Path.Combine(SharedReference, "tiny-sd", "model");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "icd.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (icd.slnx) above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("icd-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
