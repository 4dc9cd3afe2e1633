using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Icd.Hub;

/// <summary>One commit of a repo as the hub lists it: the commit hash and every file path.</summary>
public sealed record RepoRevision(string Repo, string Commit, IReadOnlyList<string> Files);

/// <summary>Downloads from the Hugging Face hub into <see cref="HubCache"/>, speaking the protocol as
/// huggingface_hub does: <c>/api/models/{repo}/revision/{rev}</c> for the file list, a HEAD on
/// <c>/{repo}/resolve/{rev}/{file}</c> for the commit (<c>X-Repo-Commit</c>) and the blob name
/// (<c>X-Linked-Etag</c> for LFS files, else <c>ETag</c>), then a GET of the redirect target into
/// <c>blobs/{etag}.incomplete</c>, resumed with HTTP Range after a cut, its SHA-256 checked against
/// an LFS ETag before the rename into <c>blobs/</c>. 429 and 5xx answers and cut connections are
/// retried with exponential back-off.</summary>
public sealed class HubClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string? _token;
    private readonly int _attempts;
    private readonly TimeSpan _backoff;

    /// <param name="endpoint">The hub's address; default <c>HF_ENDPOINT</c>, else https://huggingface.co.</param>
    /// <param name="token">A user access token; default <c>HF_TOKEN</c>, else the token file huggingface-cli writes.</param>
    /// <param name="attempts">Tries per request before giving up on 429, 5xx or a cut connection.</param>
    /// <param name="backoff">First wait between tries (doubled each time, at most 60 s; a Retry-After header wins).</param>
    public HubClient(HubCache cache, string? endpoint = null, string? token = null, int attempts = 6, TimeSpan? backoff = null)
    {
        Cache = cache;
        string address = endpoint ?? (Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } e ? e : "https://huggingface.co");
        Endpoint = new Uri(address.TrimEnd('/') + "/");
        _token = token ?? DefaultToken();
        _attempts = Math.Max(1, attempts);
        _backoff = backoff ?? TimeSpan.FromSeconds(1);
        // Redirects are followed by hand: the HEAD's own headers carry the commit and ETag, and the
        // token must not travel to the storage host a download redirects to.
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(30) })
        {
            Timeout = TimeSpan.FromMinutes(2),
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("icd", "1.0"));
    }

    public HubCache Cache { get; }
    public Uri Endpoint { get; }

    public void Dispose() => _http.Dispose();

    private static string? DefaultToken()
    {
        foreach (var name in new[] { "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN" })
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } t) return t.Trim();
        string file = Environment.GetEnvironmentVariable("HF_TOKEN_PATH") is { Length: > 0 } p ? p : Path.Combine(HubCache.HfHome(), "token");
        return File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } token ? token : null;
    }

    private static void RefuseOffline(string what)
    {
        if (HubCache.Offline)
            throw new HubException($"{what}: HF_HUB_OFFLINE is set, so nothing is downloaded (unset it, or use what the cache at {HubCache.DefaultRoot()} holds)");
    }

    /// <summary>The commit <paramref name="revision"/> names and the files it holds.</summary>
    public async Task<RepoRevision> RevisionAsync(string repo, string revision, CancellationToken cancel = default)
    {
        RefuseOffline(repo);
        var url = new Uri(Endpoint, $"api/models/{repo}/revision/{Uri.EscapeDataString(revision)}");
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), $"{repo}@{revision}", redirects: false, cancel);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel));
        var root = doc.RootElement;
        string commit = root.TryGetProperty("sha", out var sha) && sha.GetString() is { } s && HubCache.IsCommitHash(s) ? s
            : throw new HubException($"{repo}@{revision}: the hub's answer from {url} has no commit hash ('sha')");
        var files = root.TryGetProperty("siblings", out var siblings) && siblings.ValueKind == JsonValueKind.Array
            ? siblings.EnumerateArray().Select(f => f.GetProperty("rfilename").GetString()!).ToList()
            : [];
        return new RepoRevision(repo, commit, files);
    }

    /// <summary>Downloads the files of <paramref name="repo"/> that <paramref name="include"/> accepts
    /// (nothing already cached is fetched again) and returns the snapshot folder.</summary>
    public async Task<string> SnapshotAsync(string repo, string revision, Func<string, bool> include, IProgress<DownloadProgress>? progress = null, CancellationToken cancel = default)
    {
        var listing = await RevisionAsync(repo, revision, cancel);
        var wanted = listing.Files.Where(include).ToList();
        if (wanted.Count == 0) throw new HubException($"{repo}@{revision}: no file of the repo matches what was asked for (it has: {string.Join(", ", listing.Files.Take(20))}{(listing.Files.Count > 20 ? ", …" : "")})");
        // By commit, so that every file comes from the same revision even if the branch moves meanwhile.
        foreach (var file in wanted) await DownloadAsync(repo, listing.Commit, file, progress, cancel);
        Cache.WriteRef(repo, revision, listing.Commit);
        return Cache.SnapshotFolder(repo, listing.Commit);
    }

    /// <summary>One file into the cache; returns its snapshot path. A file whose blob is cached is not fetched again.</summary>
    public async Task<string> DownloadAsync(string repo, string revision, string pathInRepo, IProgress<DownloadProgress>? progress = null, CancellationToken cancel = default)
    {
        string what = $"{repo}@{revision}: {pathInRepo}";
        RefuseOffline(what);
        var resolve = new Uri(Endpoint, $"{repo}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', pathInRepo.Split('/').Select(Uri.EscapeDataString))}");
        var (commit, etag, size, location) = await MetadataAsync(resolve, what, cancel);
        if (!IsSafeBlobName(etag)) throw new HubException($"{what}: the hub sent an unusable ETag '{etag}'");
        string blob = Cache.BlobPath(repo, etag);
        if (!File.Exists(blob))
        {
            string? sha256 = etag.Length == 64 && etag.All(Uri.IsHexDigit) ? etag : null; // LFS files are named by their SHA-256
            await FetchAsync(location, blob, size, sha256, pathInRepo, what, progress, cancel);
        }
        string link = Cache.LinkSnapshotFile(repo, commit, pathInRepo, etag);
        Cache.WriteRef(repo, revision, commit);
        return link;
    }

    /// <summary>A file from any address (iCD's teacher archives, torchvision weights) to
    /// <paramref name="destination"/>, resumable, checked against <paramref name="sha256"/> when given
    /// (the whole digest, or its leading hex digits as torch.hub's file names carry them).</summary>
    public async Task DownloadUrlAsync(Uri url, string destination, string? sha256 = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancel = default)
    {
        RefuseOffline(url.ToString());
        if (File.Exists(destination)) return;
        await FetchAsync(url, destination, null, sha256, Path.GetFileName(destination), url.ToString(), progress, cancel);
    }

    private static bool IsSafeBlobName(string etag) =>
        etag.Length is > 0 and <= 128 && etag.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && etag is not "." and not "..";

    private async Task<(string Commit, string Etag, long? Size, Uri Location)> MetadataAsync(Uri resolve, string what, CancellationToken cancel)
    {
        var url = resolve;
        for (int hop = 0; hop < 10; hop++)
        {
            var current = url;
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, current), what, redirects: true, cancel);
            var headers = response.Headers;
            string? commit = Header(headers, "X-Repo-Commit");
            string? etag = Header(headers, "X-Linked-Etag") ?? response.Headers.ETag?.Tag ?? Header(headers, "ETag");
            long? size = long.TryParse(Header(headers, "X-Linked-Size"), out long linked) ? linked : response.Content.Headers.ContentLength;
            var location = response.Headers.Location is { } l ? new Uri(current, l) : null;
            bool redirect = (int)response.StatusCode is >= 300 and < 400;
            // A relative redirect is the hub itself (a renamed repo): ask again there. An absolute one
            // to storage carries the file's headers already.
            if (redirect && location is not null && commit is null && location.Host == Endpoint.Host)
            {
                url = location;
                continue;
            }
            if (commit is null || !HubCache.IsCommitHash(commit))
                throw new HubException($"{what}: the server at {Endpoint} sent no commit hash (X-Repo-Commit); is HF_ENDPOINT a Hugging Face hub?");
            if (etag is null) throw new HubException($"{what}: the server sent no ETag for the file");
            return (commit, NormalizeEtag(etag), size, redirect && location is not null ? location : current);
        }
        throw new HubException($"{what}: more than 10 redirects from {resolve}");
    }

    private static string NormalizeEtag(string etag)
    {
        string e = etag.Trim();
        if (e.StartsWith("W/", StringComparison.Ordinal)) e = e[2..];
        return e.Trim('"');
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary>Sends with retries on 429, 5xx and transport failures; maps 401/403/404 to messages.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> make, string what, bool redirects, CancellationToken cancel, long? rangeFrom = null)
    {
        for (int attempt = 1; ; attempt++)
        {
            using var request = make();
            if (_token is not null && request.RequestUri!.Host == Endpoint.Host && request.RequestUri.Port == Endpoint.Port)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            if (rangeFrom is > 0) request.Headers.Range = new RangeHeaderValue(rangeFrom, null);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
            {
                if (attempt >= _attempts) throw new HubException($"{what}: cannot reach {request.RequestUri!.GetLeftPart(UriPartial.Authority)} after {attempt} tries: {e.Message}", e);
                await Task.Delay(Backoff(attempt, null), cancel);
                continue;
            }
            int code = (int)response.StatusCode;
            if (response.IsSuccessStatusCode || (redirects && code is >= 300 and < 400)) return response;
            string? errorCode = Header(response.Headers, "X-Error-Code");
            if (code == 429 || code >= 500)
            {
                var retryAfter = response.Headers.RetryAfter?.Delta;
                response.Dispose();
                if (attempt >= _attempts) throw new HubException($"{what}: the server answered {code} {(code == 429 ? "(too many requests)" : "(server error)")} {attempt} times; try again later");
                await Task.Delay(Backoff(attempt, retryAfter), cancel);
                continue;
            }
            if (code == 416) return response; // the caller's range was past the end: it decides
            response.Dispose();
            throw code switch
            {
                401 or 403 => new HubException($"{what}: this repo needs a token (it is gated or private, answer {code}): accept its terms on the hub, then set HF_TOKEN to an access token (https://huggingface.co/settings/tokens)"),
                404 when errorCode == "RepoNotFound" => new HubException($"{what}: repository not found on {Endpoint} (check the name; a private repo needs HF_TOKEN)"),
                404 when errorCode == "RevisionNotFound" => new HubException($"{what}: revision not found in the repository"),
                404 => new HubException($"{what}: not found on {Endpoint} (no such repository, revision or file)"),
                _ => new HubException($"{what}: the server answered {code} {response.ReasonPhrase}"),
            };
        }
    }

    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } r && r > TimeSpan.Zero) return r < TimeSpan.FromMinutes(5) ? r : TimeSpan.FromMinutes(5);
        double seconds = Math.Min(60, _backoff.TotalSeconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>GETs <paramref name="url"/> into <c>{destination}.incomplete</c>, resuming what an
    /// earlier try left, then checks size and SHA-256 (<paramref name="sha256"/>: the digest or its
    /// leading hex digits) and renames it into place.</summary>
    private async Task FetchAsync(Uri url, string destination, long? size, string? sha256, string file, string what, IProgress<DownloadProgress>? progress, CancellationToken cancel)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        string partial = destination + ".incomplete";
        var clock = Stopwatch.StartNew();
        long startBytes = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        for (int attempt = 1; ; attempt++)
        {
            long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            if (size is { } known && have == known) break;
            if (size is { } k && have > k) { File.Delete(partial); have = 0; }
            try
            {
                using var response = await FollowAsync(url, what, have, cancel);
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                {
                    File.Delete(partial); // what is on disk does not fit the file any more: start again
                    continue;
                }
                bool resumed = response.StatusCode == HttpStatusCode.PartialContent;
                long? total = size ?? (response.Content.Headers.ContentRange?.Length ?? (resumed ? null : response.Content.Headers.ContentLength));
                size ??= total;
                await using var output = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                await using var input = await response.Content.ReadAsStreamAsync(cancel);
                var buffer = new byte[1 << 20];
                long written = resumed ? have : 0;
                var lastReport = TimeSpan.Zero;
                int read;
                while ((read = await input.ReadAsync(buffer, cancel)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, read), cancel);
                    written += read;
                    if (progress is not null && clock.Elapsed - lastReport > TimeSpan.FromMilliseconds(250))
                    {
                        lastReport = clock.Elapsed;
                        progress.Report(new DownloadProgress(file, written, total, (written - startBytes) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3)));
                    }
                }
                await output.FlushAsync(cancel);
                if (total is { } t && written < t) throw new IOException($"the connection ended at {written} of {t} bytes");
                progress?.Report(new DownloadProgress(file, written, total ?? written, (written - startBytes) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3)));
                break;
            }
            catch (IOException e) when (IsDiskFull(e))
            {
                throw new HubException($"{what}: the disk is full writing {partial} ({FreeSpace(partial)} free{(size is { } s ? $", the file needs {s / 1e6:F0} MB" : "")}); nothing was put into place, and the part downloaded resumes on the next pull", e);
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !cancel.IsCancellationRequested)
            {
                if (attempt >= _attempts) throw new HubException($"{what}: the download broke off {attempt} times ({e.Message}); run the pull again to resume from {partial}", e);
                await Task.Delay(Backoff(attempt, null), cancel);
            }
        }
        long length = new FileInfo(partial).Length;
        if (size is { } expected && length != expected)
            throw new HubException($"{what}: downloaded {length} bytes where the hub announced {expected}");
        if (sha256 is not null)
        {
            string actual;
            await using (var check = File.OpenRead(partial)) actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(check, cancel));
            if (sha256.Length == 0 || !actual.StartsWith(sha256, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(partial);
                throw new HubException($"{what}: checksum mismatch (SHA-256 {actual}, expected {(sha256.Length == 64 ? "" : "one starting with ")}{sha256}); the download was discarded, run the pull again");
            }
        }
        File.Move(partial, destination, overwrite: true);
    }

    /// <summary>GET with the range, following redirects to storage (without the token there).</summary>
    private async Task<HttpResponseMessage> FollowAsync(Uri url, string what, long rangeFrom, CancellationToken cancel)
    {
        var current = url;
        for (int hop = 0; hop < 10; hop++)
        {
            var target = current;
            var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, target), what, redirects: true, cancel, rangeFrom);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } next)
            {
                current = new Uri(target, next);
                response.Dispose();
                continue;
            }
            return response;
        }
        throw new HubException($"{what}: more than 10 redirects from {url}");
    }

    private static bool IsDiskFull(IOException e) => (e.HResult & 0xFFFF) == 28 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    private static string FreeSpace(string path)
    {
        try
        {
            return $"{new DriveInfo(Path.GetPathRoot(Path.GetFullPath(path))!).AvailableFreeSpace / 1e6:F0} MB";
        }
        catch (IOException)
        {
            return "unknown space";
        }
    }
}
