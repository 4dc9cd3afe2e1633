using System.Text.RegularExpressions;

namespace Icd.Hub;

/// <summary>The Hugging Face cache as huggingface_hub lays it out, read and written in place so that
/// Python tools and icd share one copy of every file:
/// <c>{root}/models--{org}--{name}/refs/{revision}</c> (a commit hash),
/// <c>snapshots/{commit}/{path}</c> (symlinks into <c>../../blobs/{etag}</c>) and <c>blobs/</c>.</summary>
public sealed partial class HubCache
{
    public HubCache(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();

    public static bool IsCommitHash(string revision) => CommitHash().IsMatch(revision);

    /// <summary>huggingface_hub's order: <c>HF_HUB_CACHE</c>, the older <c>HUGGINGFACE_HUB_CACHE</c>,
    /// then <c>HF_HOME/hub</c> with <c>HF_HOME</c> defaulting to <c>$XDG_CACHE_HOME/huggingface</c>
    /// or <c>~/.cache/huggingface</c>.</summary>
    public static HubCache FromEnvironment() => new(DefaultRoot());

    public static string DefaultRoot() =>
        Env("HF_HUB_CACHE") ?? Env("HUGGINGFACE_HUB_CACHE") ?? Path.Combine(HfHome(), "hub");

    public static string HfHome() =>
        Env("HF_HOME") ?? Path.Combine(Env("XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");

    /// <summary><c>HF_HUB_OFFLINE</c> as huggingface_hub reads it (1, ON, YES, TRUE).</summary>
    public static bool Offline => Env("HF_HUB_OFFLINE")?.ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    public string RepoFolder(string repo) => Path.Combine(Root, "models--" + repo.Replace("/", "--", StringComparison.Ordinal));

    public string BlobPath(string repo, string etag) => Path.Combine(RepoFolder(repo), "blobs", etag);

    public string SnapshotFolder(string repo, string commit) => Path.Combine(RepoFolder(repo), "snapshots", commit);

    /// <summary>The commit a revision names in the cache: itself when it is a cached commit hash,
    /// else the content of <c>refs/{revision}</c>; null when neither is cached.</summary>
    public string? CommitOf(string repo, string revision)
    {
        if (IsCommitHash(revision) && Directory.Exists(SnapshotFolder(repo, revision))) return revision;
        string refFile = Path.Combine(RepoFolder(repo), "refs", revision);
        if (!File.Exists(refFile)) return null;
        string commit = File.ReadAllText(refFile).Trim();
        return IsCommitHash(commit) ? commit : null;
    }

    /// <summary>The cached folder or file <paramref name="reference"/> names, or an error that says what
    /// is missing and how to get it.</summary>
    public string Resolve(HubReference reference)
    {
        string pull = $"icd pull {reference.Repo}{(reference.Revision == HubReference.DefaultRevision ? "" : "@" + reference.Revision)}";
        if (!Directory.Exists(RepoFolder(reference.Repo)))
            throw new FileNotFoundException($"{reference}: {reference.Repo} is not in the Hugging Face cache at {Root} (download it with: {pull})");
        string commit = CommitOf(reference.Repo, reference.Revision)
            ?? throw new FileNotFoundException($"{reference}: revision '{reference.Revision}' of {reference.Repo} is not in the Hugging Face cache at {Root} (download it with: {pull})");
        string snapshot = SnapshotFolder(reference.Repo, commit);
        if (reference.PathInRepo is null)
        {
            if (!Directory.Exists(snapshot)) throw new DirectoryNotFoundException($"{reference}: the cache names commit {commit} but has no snapshot folder {snapshot}");
            return snapshot;
        }
        string path = Path.Combine(snapshot, reference.PathInRepo);
        var info = new FileInfo(path);
        // File.Exists is true for a link whose blob is gone: follow the link to be sure.
        bool dangling = info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is not { Exists: true };
        if (!dangling && (info.Exists || Directory.Exists(path))) return path;
        throw new FileNotFoundException(dangling
            ? $"{reference}: the cache's link {path} points to a blob that is missing (download it again with: {pull} --include {reference.PathInRepo})"
            : $"{reference}: '{reference.PathInRepo}' is not in the cached snapshot {commit} of {reference.Repo} (download it with: {pull} --include {reference.PathInRepo})");
    }

    /// <summary>Points <c>snapshots/{commit}/{path}</c> at <c>blobs/{etag}</c> with a relative link, as
    /// huggingface_hub does (so the cache can be moved whole).</summary>
    public string LinkSnapshotFile(string repo, string commit, string pathInRepo, string etag)
    {
        string link = Path.Combine(SnapshotFolder(repo, commit), pathInRepo);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        int depth = pathInRepo.Count(c => c == '/');
        string target = string.Concat(Enumerable.Repeat("../", depth + 2)) + "blobs/" + etag;
        if (new FileInfo(link).LinkTarget == target) return link;
        if (File.Exists(link) || new FileInfo(link).LinkTarget is not null) File.Delete(link);
        File.CreateSymbolicLink(link, target);
        return link;
    }

    /// <summary>Records that <paramref name="revision"/> is <paramref name="commit"/> (written whole, then renamed).</summary>
    public void WriteRef(string repo, string revision, string commit)
    {
        if (revision == commit) return;
        string refFile = Path.Combine(RepoFolder(repo), "refs", revision);
        Directory.CreateDirectory(Path.GetDirectoryName(refFile)!);
        string partial = refFile + ".partial";
        File.WriteAllText(partial, commit);
        File.Move(partial, refFile, overwrite: true);
    }
}
