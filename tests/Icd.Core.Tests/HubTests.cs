using System.Formats.Tar;
using System.IO.Compression;
using Icd.Hub;
using Icd.Pipelines;

namespace Icd.Tests;

/// <summary>The Hugging Face cache reader on a tree laid out as huggingface_hub writes it, and
/// <c>icd pull</c>'s client against <see cref="FakeHub"/> on loopback (nothing here touches the network).</summary>
public class HubTests
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static FakeHub.Repo WeightsRepo(string id = "org/weights", bool gated = false) => new(id, Commit,
    [
        new("config.json", "{\"a\": 1}"u8.ToArray(), Lfs: false),
        new("unet/diffusion_pytorch_model.safetensors", Random(3_000_000, 1), Lfs: true),
    ], gated);

    private static HubClient Client(FakeHub hub, HubCache cache, string? token = null) =>
        new(cache, hub.Endpoint.ToString(), token ?? "", attempts: 4, backoff: TimeSpan.FromMilliseconds(10));

    /// <summary>The common arrangement: a fake hub holding <see cref="WeightsRepo"/>, an empty cache in
    /// a temporary folder, and a client of both.</summary>
    private sealed class Arranged : IAsyncDisposable
    {
        public required FakeHub Hub { get; init; }
        public required TempDir Dir { get; init; }
        public required HubCache Cache { get; init; }
        public required HubClient Client { get; init; }

        public static async Task<Arranged> StartAsync()
        {
            var hub = await FakeHub.StartAsync();
            hub.Add(WeightsRepo());
            var dir = new TempDir();
            var cache = new HubCache(dir.File("hub"));
            return new Arranged { Hub = hub, Dir = dir, Cache = cache, Client = HubTests.Client(hub, cache) };
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            Dir.Dispose();
            await Hub.DisposeAsync();
        }
    }

    // ---- The cache as huggingface_hub lays it out -------------------------------------------

    /// <summary>refs/main → commit; snapshots/{commit}/unet/config.json → ../../../blobs/{etag}, made by
    /// hand exactly as huggingface_hub's file_download does.</summary>
    private static string HandMadeCache(TempDir dir)
    {
        string repo = Path.Combine(dir.Path, "hub", "models--org--name");
        Directory.CreateDirectory(Path.Combine(repo, "blobs"));
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        Directory.CreateDirectory(Path.Combine(repo, "snapshots", Commit, "unet"));
        File.WriteAllText(Path.Combine(repo, "blobs", "e1"), "{\"unet\": true}");
        File.WriteAllText(Path.Combine(repo, "blobs", "e2"), "{\"model\": true}");
        File.WriteAllText(Path.Combine(repo, "refs", "main"), Commit);
        Directory.CreateDirectory(Path.Combine(repo, "refs", "refs", "pr"));
        File.WriteAllText(Path.Combine(repo, "refs", "refs", "pr", "1"), Commit);
        File.CreateSymbolicLink(Path.Combine(repo, "snapshots", Commit, "unet", "config.json"), "../../../blobs/e1");
        File.CreateSymbolicLink(Path.Combine(repo, "snapshots", Commit, "model_index.json"), "../../blobs/e2");
        File.CreateSymbolicLink(Path.Combine(repo, "snapshots", Commit, "gone.bin"), "../../blobs/missing");
        return Path.Combine(dir.Path, "hub");
    }

    [Fact]
    public void CacheReaderFollowsRefsAndSnapshotLinks()
    {
        using var dir = new TempDir();
        var cache = new HubCache(HandMadeCache(dir));
        string snapshot = Path.Combine(cache.Root, "models--org--name", "snapshots", Commit);
        Assert.Equal(snapshot, cache.Resolve(HubReference.Parse("org/name", "test")));
        Assert.Equal(snapshot, cache.Resolve(HubReference.Parse($"org/name@{Commit}", "test")));
        Assert.Equal(snapshot, cache.Resolve(HubReference.Parse("hf://org/name@refs%2Fpr%2F1", "test")));
        string config = cache.Resolve(HubReference.Parse("hf://org/name/unet/config.json", "test"));
        Assert.Equal("{\"unet\": true}", File.ReadAllText(config));

        var missingRepo = Assert.Throws<FileNotFoundException>(() => cache.Resolve(HubReference.Parse("org/other", "test")));
        Assert.Contains("icd pull org/other", missingRepo.Message);
        var missingRevision = Assert.Throws<FileNotFoundException>(() => cache.Resolve(HubReference.Parse("org/name@v2", "test")));
        Assert.Contains("revision 'v2'", missingRevision.Message);
        var dangling = Assert.Throws<FileNotFoundException>(() => cache.Resolve(HubReference.Parse("hf://org/name/gone.bin", "test")));
        Assert.Contains("blob that is missing", dangling.Message);
        var missingFile = Assert.Throws<FileNotFoundException>(() => cache.Resolve(HubReference.Parse("hf://org/name/nothing.json", "test")));
        Assert.Contains("'nothing.json' is not in the cached snapshot", missingFile.Message);
    }

    [Fact]
    public void CacheRootFollowsHuggingFaceHubsEnvironmentOrder()
    {
        var saved = new[] { "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME" }.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var v in saved.Keys) Environment.SetEnvironmentVariable(v, null);
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", "/x");
            Assert.Equal("/x/huggingface/hub", HubCache.DefaultRoot());
            Environment.SetEnvironmentVariable("HF_HOME", "/h");
            Assert.Equal("/h/hub", HubCache.DefaultRoot());
            Environment.SetEnvironmentVariable("HUGGINGFACE_HUB_CACHE", "/legacy");
            Assert.Equal("/legacy", HubCache.DefaultRoot());
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", "/c");
            Assert.Equal("/c", HubCache.DefaultRoot());
        }
        finally
        {
            foreach (var (k, v) in saved) Environment.SetEnvironmentVariable(k, v);
        }
    }

    [Theory]
    [InlineData("org/name", "org/name", "main", null)]
    [InlineData("org/name@v1.0", "org/name", "v1.0", null)]
    [InlineData("hf://org/name", "org/name", "main", null)]
    [InlineData("hf://org/name/unet/config.json", "org/name", "main", "unet/config.json")]
    [InlineData("hf://org/na.me-2@refs%2Fpr%2F3/a.safetensors", "org/na.me-2", "refs/pr/3", "a.safetensors")]
    public void ReferencesParse(string text, string repo, string revision, string? path)
    {
        var r = HubReference.TryParse(text);
        Assert.NotNull(r);
        Assert.Equal((repo, revision, path), (r!.Repo, r.Revision, r.PathInRepo));
    }

    [Theory]
    [InlineData("models/shapes/icd.json")]
    [InlineData("hf://org/name/../x")]
    [InlineData("hf://org")]
    [InlineData("org/-bad")]
    [InlineData("hf://org/name@a..b")]
    [InlineData("/abs/path")]
    public void NonReferencesAreRefused(string text) => Assert.Null(HubReference.TryParse(text));

    [Fact]
    public void LocalPathsWinAndBareRepoIdsFallBackToTheCache()
    {
        using var dir = new TempDir();
        var cache = new HubCache(HandMadeCache(dir));
        Directory.CreateDirectory(dir.File("org/name"));
        Assert.Equal(dir.File("org/name"), HubPaths.Resolve("org/name", dir.Path, cache)); // a local folder of that name wins
        using var other = new TempDir();
        Assert.EndsWith(Path.Combine("snapshots", Commit), HubPaths.Resolve("org/name", other.Path, cache));
        var e = Assert.Throws<FileNotFoundException>(() => HubPaths.Resolve("org/absent", other.Path, cache));
        Assert.Contains("neither a file or folder", e.Message);
        Assert.Contains("icd pull org/absent", e.Message);
        Assert.Equal(Path.Combine(other.Path, "x.safetensors"), HubPaths.Resolve("x.safetensors", other.Path, cache)); // not a repo id: unchanged
    }

    // ---- Downloads against the fake hub ------------------------------------------------------

    [Fact]
    public async Task PullWritesTheCacheAsHuggingFaceHubDoes()
    {
        await using var hub = await FakeHub.StartAsync();
        var repo = WeightsRepo();
        hub.Add(repo);
        using var dir = new TempDir();
        var cache = new HubCache(dir.File("hub"));
        using var client = Client(hub, cache);
        string snapshot = await client.SnapshotAsync("org/weights", "main", _ => true);

        string folder = Path.Combine(cache.Root, "models--org--weights");
        Assert.Equal(Path.Combine(folder, "snapshots", Commit), snapshot);
        Assert.Equal(Commit, File.ReadAllText(Path.Combine(folder, "refs", "main")));
        var small = repo.Files[0];
        var large = repo.Files[1];
        // Blobs are named by ETag: git SHA-1 for a small file, SHA-256 for an LFS file.
        Assert.Equal(small.Content, File.ReadAllBytes(Path.Combine(folder, "blobs", small.GitSha1)));
        Assert.Equal(large.Content, File.ReadAllBytes(Path.Combine(folder, "blobs", large.Sha256)));
        Assert.Equal("../../blobs/" + small.GitSha1, new FileInfo(Path.Combine(snapshot, "config.json")).LinkTarget);
        Assert.Equal("../../../blobs/" + large.Sha256, new FileInfo(Path.Combine(snapshot, "unet", "diffusion_pytorch_model.safetensors")).LinkTarget);
        Assert.Empty(Directory.GetFiles(folder, "*.incomplete", SearchOption.AllDirectories));
        Assert.Equal(large.Content, File.ReadAllBytes(cache.Resolve(HubReference.Parse("hf://org/weights/unet/diffusion_pytorch_model.safetensors", "test"))));
        // The token (none here) and the storage host: no Authorization header reached storage.
        Assert.All(hub.Requests.Where(r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal)), r => Assert.False(r.Authorized));
    }

    [Fact]
    public async Task ASecondPullDownloadsNothing()
    {
        await using var a = await Arranged.StartAsync();
        await a.Client.SnapshotAsync("org/weights", "main", _ => true);
        int downloads = a.Hub.Count("GET", "/cdn/") + a.Hub.Count("GET", "/resolve/");
        await a.Client.SnapshotAsync("org/weights", "main", _ => true);
        Assert.Equal(downloads, a.Hub.Count("GET", "/cdn/") + a.Hub.Count("GET", "/resolve/"));
    }

    [Fact]
    public async Task ACutConnectionResumesWithARange()
    {
        await using var hub = await FakeHub.StartAsync();
        var repo = WeightsRepo();
        hub.Add(repo);
        hub.AddFault(new FakeHub.Fault("/cdn/", CutAfter: 1_000_000));
        using var dir = new TempDir();
        var cache = new HubCache(dir.File("hub"));
        using var client = Client(hub, cache);
        var seen = new List<DownloadProgress>();
        string path = await client.DownloadAsync("org/weights", "main", "unet/diffusion_pytorch_model.safetensors", new SyncProgress(seen.Add));
        Assert.Equal(repo.Files[1].Content, File.ReadAllBytes(path));
        var gets = hub.Requests.Where(r => r.Method == "GET" && r.Path.StartsWith("/cdn/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Range);
        Assert.Matches(@"^bytes=\d+-$", gets[1].Range!);
        Assert.True(long.Parse(gets[1].Range!["bytes=".Length..^1]) >= 1_000_000 - (1 << 20), "the second request resumes where the cut left the file");
        Assert.Equal(3_000_000, seen[^1].Bytes);
        Assert.Equal(3_000_000, seen[^1].TotalBytes);
    }

    [Fact]
    public async Task AChecksumMismatchPutsNothingInPlace()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.Add(WeightsRepo());
        hub.AddFault(new FakeHub.Fault("/cdn/", Corrupt: true, Always: true));
        using var dir = new TempDir();
        var cache = new HubCache(dir.File("hub"));
        using var client = Client(hub, cache);
        var e = await Assert.ThrowsAsync<HubException>(() => client.DownloadAsync("org/weights", "main", "unet/diffusion_pytorch_model.safetensors"));
        Assert.Contains("checksum mismatch", e.Message);
        Assert.Contains("unet/diffusion_pytorch_model.safetensors", e.Message);
        string folder = Path.Combine(cache.Root, "models--org--weights");
        Assert.Empty(Directory.GetFiles(Path.Combine(folder, "blobs")));
        Assert.False(Directory.Exists(Path.Combine(folder, "snapshots")));
    }

    /// <summary>A full disk, made by pointing the download's <c>.incomplete</c> file at /dev/full
    /// (every write fails with ENOSPC): one message that says so, and no blob or snapshot link.</summary>
    [Fact]
    public async Task AFullDiskIsNamedAndNothingIsPutInPlace()
    {
        if (!File.Exists("/dev/full")) return;
        await using var hub = await FakeHub.StartAsync();
        var repo = WeightsRepo();
        hub.Add(repo);
        using var dir = new TempDir();
        var cache = new HubCache(dir.File("hub"));
        string blob = cache.BlobPath("org/weights", repo.Files[1].Sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        File.CreateSymbolicLink(blob + ".incomplete", "/dev/full");
        using var client = Client(hub, cache);
        var e = await Assert.ThrowsAsync<HubException>(() => client.DownloadAsync("org/weights", "main", "unet/diffusion_pytorch_model.safetensors"));
        Assert.Contains("disk is full", e.Message);
        Assert.False(File.Exists(blob));
        Assert.False(Directory.Exists(cache.SnapshotFolder("org/weights", Commit)));
    }

    [Fact]
    public async Task TooManyRequestsAndServerErrorsAreRetried()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.Add(WeightsRepo());
        hub.AddFault(new FakeHub.Fault("/api/models/", Status: 500));
        hub.AddFault(new FakeHub.Fault("/resolve/", Status: 429));
        hub.AddFault(new FakeHub.Fault("/cdn/", Status: 503));
        using var dir = new TempDir();
        using var client = Client(hub, new HubCache(dir.File("hub")));
        string snapshot = await client.SnapshotAsync("org/weights", "main", _ => true);
        Assert.True(File.Exists(Path.Combine(snapshot, "unet", "diffusion_pytorch_model.safetensors")));

        hub.AddFault(new FakeHub.Fault("/api/models/", Status: 500, Always: true));
        var e = await Assert.ThrowsAsync<HubException>(() => client.RevisionAsync("org/weights", "main"));
        Assert.Contains("500", e.Message);
        Assert.Contains("4 times", e.Message);
    }

    [Fact]
    public async Task AGatedRepoAsksForATokenAndTheTokenStaysOnTheHub()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.Add(WeightsRepo("org/gated", gated: true));
        using var dir = new TempDir();
        var cache = new HubCache(dir.File("hub"));
        using (var anonymous = Client(hub, cache))
        {
            var e = await Assert.ThrowsAsync<HubException>(() => anonymous.SnapshotAsync("org/gated", "main", _ => true));
            Assert.Contains("needs a token", e.Message);
            Assert.Contains("HF_TOKEN", e.Message);
        }
        using var client = Client(hub, cache, FakeHub.Token);
        await client.SnapshotAsync("org/gated", "main", _ => true);
        Assert.All(hub.Requests.Where(r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal)), r => Assert.False(r.Authorized));
        Assert.Contains(hub.Requests, r => r.Path.Contains("/resolve/", StringComparison.Ordinal) && r.Authorized);
    }

    [Fact]
    public async Task MissingReposAndFilesAreNamed()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.Add(WeightsRepo());
        using var dir = new TempDir();
        using var client = Client(hub, new HubCache(dir.File("hub")));
        var repo = await Assert.ThrowsAsync<HubException>(() => client.DownloadAsync("org/absent", "main", "config.json"));
        Assert.Contains("org/absent", repo.Message);
        Assert.Contains("repository not found", repo.Message);
        var file = await Assert.ThrowsAsync<HubException>(() => client.DownloadAsync("org/weights", "main", "vae/config.json"));
        Assert.Contains("org/weights@main: vae/config.json", file.Message);
        Assert.Contains("not found", file.Message);
        var none = await Assert.ThrowsAsync<HubException>(() => client.SnapshotAsync("org/weights", "main", p => p.EndsWith(".ckpt", StringComparison.Ordinal)));
        Assert.Contains("no file of the repo matches", none.Message);
    }

    [Fact]
    public async Task OfflineModeSendsNoRequestAndTheCacheStillResolves()
    {
        await using var a = await Arranged.StartAsync();
        var (hub, dir, cache, client) = (a.Hub, a.Dir, a.Cache, a.Client);
        await client.SnapshotAsync("org/weights", "main", _ => true);
        int before = hub.Requests.Count;
        string? saved = Environment.GetEnvironmentVariable("HF_HUB_OFFLINE");
        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", "1");
        try
        {
            var e = await Assert.ThrowsAsync<HubException>(() => client.SnapshotAsync("org/weights", "main", _ => true));
            Assert.Contains("HF_HUB_OFFLINE", e.Message);
            Assert.Equal(before, hub.Requests.Count);
            Assert.True(File.Exists(HubPaths.Resolve("hf://org/weights/config.json", dir.Path, cache)));
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", saved);
        }
    }

    /// <summary>A whole set as <c>icd pull</c> runs it: a diffusers model (the tiny reference model's
    /// files) from the hub, a teacher archive from storage (a torch.save file in a .tar.gz, unpacked
    /// and converted), and an icd.json whose bare repo id loads through the cache.</summary>
    [Fact]
    public async Task APulledSetLoadsThroughTheCache()
    {
        await using var hub = await FakeHub.StartAsync();
        var files = Directory.GetFiles(Paths.TinySd, "*", SearchOption.AllDirectories)
            .Select(f => new FakeHub.HubFile(Path.GetRelativePath(Paths.TinySd, f).Replace('\\', '/'), File.ReadAllBytes(f), f.EndsWith(".safetensors", StringComparison.Ordinal)))
            .ToList();
        hub.Add(new FakeHub.Repo("test/tiny-sd", Commit, files));
        using var archive = new MemoryStream();
        using (var gzip = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip))
            tar.WriteEntry(Path.Combine(Paths.RepositoryRoot, "tests", "Icd.Torch.Tests", "Data", "state_dict.pt"), "weights/teacher.pt");
        var teacherUrl = hub.AddStorageFile("teacher.pt.tar.gz", archive.ToArray());

        using var dir = new TempDir();
        var saved = new[] { "HF_HUB_CACHE", "ICD_HOME" }.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", dir.File("hub"));
        Environment.SetEnvironmentVariable("ICD_HOME", dir.File("icd"));
        try
        {
            var set = new PullSet("tiny", "test", [new HubFiles("test/tiny-sd", "*", "*/*")], [],
                new TeacherArchive(teacherUrl, "teacher.safetensors"),
                new IcdManifest { Base = "test/tiny-sd", Description = "pulled" });
            using var client = Client(hub, HubCache.FromEnvironment());
            var logged = new List<string>();
            string folder = (await new Puller(client, null, logged.Add).PullSetAsync(set, dir.File("model")))!;

            Assert.True(File.Exists(Path.Combine(folder, "icd.json")));
            string teacher = PullSets.TeacherPath("teacher.safetensors");
            using (var st = Icd.Torch.Serialization.SafetensorsFile.Open(teacher))
                Assert.NotEmpty(st.Entries);
            Assert.False(File.Exists(Path.Combine(dir.File("icd"), "teachers", "teacher.pt.tar.gz")), "the archive is removed once converted");
            Assert.False(File.Exists(Path.ChangeExtension(teacher, ".pt")));

            using var model = IcdModel.Load(folder, null, null);
            Assert.StartsWith(dir.File("hub"), model.Networks.Directory);
        }
        finally
        {
            foreach (var (k, v) in saved) Environment.SetEnvironmentVariable(k, v);
        }
    }

    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
