using System.Text.RegularExpressions;

namespace Icd.Hub;

/// <summary>A file or folder of a Hugging Face model repository: <c>org/name</c>,
/// <c>org/name@rev</c>, or <c>hf://org/name[@rev][/path/in/repo]</c>. A revision holding a slash
/// (<c>refs/pr/1</c>) is written URL-encoded (<c>refs%2Fpr%2F1</c>), as huggingface_hub's
/// <c>hf://</c> paths do.</summary>
public sealed partial record HubReference(string Repo, string Revision, string? PathInRepo)
{
    public const string DefaultRevision = "main";
    public const string Scheme = "hf://";

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")]
    private static partial Regex RepoId();

    [GeneratedRegex(@"^[A-Za-z0-9._/-]{1,255}$")]
    private static partial Regex RevisionPattern();

    public string Org => Repo[..Repo.IndexOf('/')];
    public string Name => Repo[(Repo.IndexOf('/') + 1)..];

    public override string ToString() =>
        Scheme + Repo + (Revision == DefaultRevision ? "" : "@" + Uri.EscapeDataString(Revision)) + (PathInRepo is null ? "" : "/" + PathInRepo);

    public static bool IsRepoId(string text) => RepoId().IsMatch(text);

    /// <summary>Parses <paramref name="text"/>; null when it is not in one of the forms above (a local
    /// path such as <c>models/shapes</c> has the shape of a bare repo id, so callers try the file system first).</summary>
    public static HubReference? TryParse(string text)
    {
        bool explicitScheme = text.StartsWith(Scheme, StringComparison.Ordinal);
        string rest = explicitScheme ? text[Scheme.Length..] : text;
        var parts = rest.Split('/');
        if (parts.Length < 2 || (!explicitScheme && parts.Length != 2)) return null;
        string org = parts[0], name = parts[1], revision = DefaultRevision;
        int at = name.IndexOf('@');
        if (at >= 0)
        {
            revision = Uri.UnescapeDataString(name[(at + 1)..]);
            name = name[..at];
            if (!RevisionPattern().IsMatch(revision) || revision.Contains("..", StringComparison.Ordinal)) return null;
        }
        string repo = org + "/" + name;
        if (!IsRepoId(repo)) return null;
        string? path = parts.Length > 2 ? string.Join('/', parts[2..]) : null;
        if (path is not null && (path.Length == 0 || parts[2..].Any(p => p is "" or "." or "..") || path.Contains('\\'))) return null;
        return new HubReference(repo, revision, path);
    }

    /// <summary>Parses or throws an error naming <paramref name="what"/> and the accepted forms.</summary>
    public static HubReference Parse(string text, string what) => TryParse(text)
        ?? throw new ArgumentException($"{what}: '{text}' is not a Hugging Face repo (expected org/name, org/name@revision or hf://org/name[@revision][/path])");
}
