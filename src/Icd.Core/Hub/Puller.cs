using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using Icd.Imaging;
using Icd.Torch.Serialization;

namespace Icd.Hub;

/// <summary><c>icd pull</c>'s work: a named set's hub files into the Hugging Face cache, its other
/// files under <see cref="PullSets.IcdHome"/>, the teacher unpacked and converted once, and a ready
/// <c>icd.json</c>. Everything already present is kept, so a second pull only checks.</summary>
public sealed class Puller(HubClient client, IProgress<DownloadProgress>? progress = null, Action<string>? log = null)
{
    private static readonly JsonSerializerOptions ManifestJson = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Pulls <paramref name="set"/>; returns the model folder whose icd.json it wrote (null for sets without one).</summary>
    public async Task<string?> PullSetAsync(PullSet set, string? modelFolder = null, CancellationToken cancel = default)
    {
        foreach (var files in set.Files)
        {
            string snapshot = await client.SnapshotAsync(files.Repo, files.Revision, files.Matches, progress, cancel);
            log?.Invoke($"{files.Repo}: {snapshot}");
        }
        foreach (var url in set.Urls) await PullUrlAsync(url, cancel);
        if (set.Teacher is { } teacher) await PullTeacherAsync(teacher, cancel);
        if (set.Manifest is null) return null;
        string folder = Path.GetFullPath(modelFolder ?? Path.Combine(PullSets.IcdHome(), "models", set.Name));
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "icd.json"), JsonSerializer.Serialize(set.Manifest, ManifestJson) + "\n");
        return folder;
    }

    /// <summary>Any repo: the files matching <paramref name="include"/> (every file when empty); returns the snapshot folder.</summary>
    public async Task<string> PullRepoAsync(HubReference reference, IReadOnlyList<string> include, CancellationToken cancel = default)
    {
        var patterns = reference.PathInRepo is { } one ? [one, .. include] : include;
        Func<string, bool> matches = patterns.Count == 0 ? _ => true : new HubFiles(reference.Repo, reference.Revision, patterns).Matches;
        return await client.SnapshotAsync(reference.Repo, reference.Revision, matches, progress, cancel);
    }

    private async Task PullUrlAsync(UrlFile file, CancellationToken cancel)
    {
        string path = Path.Combine(PullSets.IcdHome(), file.Folder, file.FileName);
        if (File.Exists(path)) return;
        await client.DownloadUrlAsync(file.Url, path, file.Sha256Prefix, progress, cancel);
        log?.Invoke($"{file.FileName}: {path}");
    }

    /// <summary>The teacher archive (one <c>.pt</c> state dict inside a <c>.tar.gz</c>): downloaded
    /// (resumable), streamed out of the archive, converted to safetensors through the safe reader,
    /// and the archive and <c>.pt</c> removed once the safetensors file is in place.</summary>
    private async Task PullTeacherAsync(TeacherArchive teacher, CancellationToken cancel)
    {
        string target = PullSets.TeacherPath(teacher.SafetensorsName);
        if (File.Exists(target)) return;
        string folder = Path.GetDirectoryName(target)!;
        string archive = Path.Combine(folder, Path.GetFileName(teacher.Url.LocalPath));
        await client.DownloadUrlAsync(teacher.Url, archive, null, progress, cancel);
        string pt = Path.ChangeExtension(target, ".pt");
        log?.Invoke($"unpacking {archive}");
        await ExtractStateDictAsync(archive, pt, cancel);
        log?.Invoke($"converting {pt} to {target}");
        CheckpointConverter.Convert(pt, target);
        File.Delete(pt);
        File.Delete(archive);
    }

    /// <summary>The archive's one <c>.pt</c>/<c>.bin</c>/<c>.ckpt</c> member, streamed to <paramref name="destination"/>.</summary>
    internal static async Task ExtractStateDictAsync(string archive, string destination, CancellationToken cancel)
    {
        await using var file = File.OpenRead(archive);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        TarEntry? entry;
        while ((entry = await tar.GetNextEntryAsync(copyData: false, cancel)) is not null)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            string name = entry.Name.Replace('\\', '/');
            if (name.Split('/').Last().StartsWith("._", StringComparison.Ordinal)) continue; // macOS resource forks
            if (!(name.EndsWith(".pt", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase))) continue;
            string partial = destination + ".partial";
            await using (var output = File.Create(partial)) await entry.DataStream.CopyToAsync(output, cancel);
            File.Move(partial, destination, overwrite: true);
            return;
        }
        throw new HubException($"{archive}: the archive holds no .pt, .bin or .ckpt file");
    }
}
