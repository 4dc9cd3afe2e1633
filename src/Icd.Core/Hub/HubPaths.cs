namespace Icd.Hub;

/// <summary>Where a model folder or weight file named in <c>icd.json</c> or on the command line
/// lives: a local path when one exists, else a Hugging Face repo (<c>org/name</c>,
/// <c>hf://org/name@rev/file</c>) resolved through the cache.</summary>
public static class HubPaths
{
    public static string Resolve(string value, string baseDirectory, HubCache? cache = null)
    {
        bool explicitHub = value.StartsWith(HubReference.Scheme, StringComparison.Ordinal);
        string local = explicitHub ? "" : Path.GetFullPath(Path.IsPathRooted(value) ? value : Path.Combine(baseDirectory, value));
        if (!explicitHub && (File.Exists(local) || Directory.Exists(local))) return local;
        var reference = HubReference.TryParse(value);
        if (reference is null)
        {
            if (explicitHub) HubReference.Parse(value, "model path");
            return local; // not a repo id: the caller's own "not found" names the local path
        }
        cache ??= HubCache.FromEnvironment();
        try
        {
            return cache.Resolve(reference);
        }
        catch (IOException e) when (!explicitHub)
        {
            throw new FileNotFoundException($"'{value}' is neither a file or folder ({local} does not exist) nor a model in the Hugging Face cache: {e.Message}", local, e);
        }
    }
}
