using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Icd.Tests;

/// <summary>A Hugging Face hub on loopback that answers as huggingface.co does: the revision API,
/// <c>resolve</c> with <c>X-Repo-Commit</c> and ETags (git SHA-1 for small files; a 302 to storage
/// with <c>X-Linked-Etag</c> = SHA-256 for LFS files), storage with HTTP Range, and scripted faults
/// (status answers, a connection cut mid-file, corrupted bytes).</summary>
internal sealed class FakeHub : IAsyncDisposable
{
    public sealed record HubFile(string Path, byte[] Content, bool Lfs)
    {
        public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Content));

        /// <summary>git's blob id: SHA-1 of "blob {length}\0" + content.</summary>
        public string GitSha1 => Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {Content.Length}\0"), .. Content]));
    }

    public sealed record Repo(string Id, string Commit, IReadOnlyList<HubFile> Files, bool Gated = false);

    /// <summary>A fault served once (or always) for requests whose path contains <see cref="PathPart"/>.</summary>
    public sealed record Fault(string PathPart, int? Status = null, long? CutAfter = null, bool Corrupt = false, bool Always = false);

    private readonly WebApplication _app;
    private readonly Dictionary<string, Repo> _repos = [];
    private readonly Dictionary<string, byte[]> _storage = [];
    private readonly List<Fault> _faults = [];
    private readonly object _gate = new();

    public const string Token = "hf_test_token";

    public List<(string Method, string Path, string? Range, bool Authorized)> Requests { get; } = [];

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Where LFS files and archives are served from.</summary>
    public Uri Storage { get; private set; } = null!;

    private FakeHub(WebApplication app) => _app = app;

    public static async Task<FakeHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Two ports: the hub, and "storage" that LFS downloads redirect to (another authority, as
        // cdn-lfs.hf.co is, so that the test sees whether the token leaks there).
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0);
            o.Listen(IPAddress.Loopback, 0);
        });
        var hub = new FakeHub(builder.Build());
        hub._app.Run(hub.HandleAsync);
        await hub._app.StartAsync();
        var addresses = hub._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
        hub.Endpoint = new Uri(addresses[0].TrimEnd('/') + "/");
        hub.Storage = new Uri(addresses[1].TrimEnd('/') + "/");
        return hub;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    public void Add(Repo repo)
    {
        lock (_gate) _repos[repo.Id] = repo;
    }

    /// <summary>A file served at <c>/storage/{name}</c> (outside the hub protocol: iCD's archives).</summary>
    public Uri AddStorageFile(string name, byte[] content)
    {
        lock (_gate) _storage[name] = content;
        return new Uri(Storage, "storage/" + name);
    }

    public void AddFault(Fault fault)
    {
        lock (_gate) _faults.Add(fault);
    }

    public int Count(string method, string pathPart)
    {
        lock (_gate) return Requests.Count(r => r.Method == method && r.Path.Contains(pathPart, StringComparison.Ordinal));
    }

    private Fault? TakeFault(string path)
    {
        lock (_gate)
        {
            var fault = _faults.FirstOrDefault(f => path.Contains(f.PathPart, StringComparison.Ordinal));
            if (fault is not null && !fault.Always) _faults.Remove(fault);
            return fault;
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string path = Uri.UnescapeDataString(request.Path.Value ?? "");
        bool authorized = request.Headers.Authorization.ToString() == "Bearer " + Token;
        lock (_gate) Requests.Add((request.Method, path, request.Headers.Range.ToString() is { Length: > 0 } r ? r : null, request.Headers.Authorization.Count > 0));
        var fault = TakeFault(path);
        if (fault?.Status is { } status)
        {
            context.Response.StatusCode = status;
            if (status == 429) context.Response.Headers.RetryAfter = "0";
            return;
        }
        var parts = path.TrimStart('/').Split('/');
        if (parts.Length >= 6 && parts[0] == "api" && parts[1] == "models" && parts[4] == "revision")
        {
            var repo = Find(context, parts[2] + "/" + parts[3], authorized);
            if (repo is null) return;
            await context.Response.WriteAsJsonAsync(new { id = repo.Id, sha = repo.Commit, siblings = repo.Files.Select(f => new { rfilename = f.Path }) });
            return;
        }
        if (parts.Length >= 5 && parts[2] == "resolve")
        {
            var repo = Find(context, parts[0] + "/" + parts[1], authorized);
            if (repo is null) return;
            string revision = parts[3];
            if (revision != "main" && revision != repo.Commit)
            {
                NotFound(context, "RevisionNotFound");
                return;
            }
            var file = repo.Files.FirstOrDefault(f => f.Path == string.Join('/', parts[4..]));
            if (file is null)
            {
                NotFound(context, "EntryNotFound");
                return;
            }
            var headers = context.Response.Headers;
            headers["X-Repo-Commit"] = repo.Commit;
            if (file.Lfs)
            {
                headers["X-Linked-Etag"] = $"\"{file.Sha256}\"";
                headers["X-Linked-Size"] = file.Content.Length.ToString();
                headers.ETag = $"\"{file.GitSha1}\"";
                headers.Location = new Uri(Storage, "cdn/" + file.Sha256).ToString();
                context.Response.StatusCode = 302;
                return;
            }
            headers.ETag = $"\"{file.GitSha1}\"";
            await ServeAsync(context, file.Content, fault);
            return;
        }
        if (parts.Length == 2 && parts[0] == "cdn")
        {
            var file = _repos.Values.SelectMany(r => r.Files).FirstOrDefault(f => f.Lfs && f.Sha256 == parts[1]);
            if (file is null) { context.Response.StatusCode = 404; return; }
            await ServeAsync(context, file.Content, fault);
            return;
        }
        if (parts.Length == 2 && parts[0] == "storage" && _storage.TryGetValue(parts[1], out var stored))
        {
            await ServeAsync(context, stored, fault);
            return;
        }
        context.Response.StatusCode = 404;
    }

    private Repo? Find(HttpContext context, string id, bool authorized)
    {
        if (!_repos.TryGetValue(id, out var repo))
        {
            NotFound(context, "RepoNotFound");
            return null;
        }
        if (repo.Gated && !authorized)
        {
            context.Response.StatusCode = 401;
            context.Response.Headers["X-Error-Code"] = "GatedRepo";
            return null;
        }
        return repo;
    }

    private static void NotFound(HttpContext context, string code)
    {
        context.Response.StatusCode = 404;
        context.Response.Headers["X-Error-Code"] = code;
    }

    /// <summary>200 with the whole body, or 206 from a <c>Range: bytes=N-</c>; a cut fault aborts the
    /// connection after that many bytes of the body, a corrupt fault flips one byte.</summary>
    private static async Task ServeAsync(HttpContext context, byte[] content, Fault? fault)
    {
        long from = 0;
        string range = context.Request.Headers.Range.ToString();
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-') && long.TryParse(range[6..^1], out long start))
        {
            if (start >= content.Length)
            {
                context.Response.StatusCode = 416;
                context.Response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }
            from = start;
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {from}-{content.Length - 1}/{content.Length}";
        }
        var body = content.AsMemory((int)from);
        context.Response.ContentLength = body.Length;
        context.Response.Headers.AcceptRanges = "bytes";
        if (HttpMethods.IsHead(context.Request.Method)) return;
        if (fault?.Corrupt == true)
        {
            var copy = body.ToArray();
            copy[copy.Length / 2] ^= 0xFF;
            body = copy;
        }
        if (fault?.CutAfter is { } cut && cut < body.Length)
        {
            await context.Response.Body.WriteAsync(body[..(int)cut]);
            await context.Response.Body.FlushAsync();
            context.Abort();
            return;
        }
        await context.Response.Body.WriteAsync(body);
    }
}
