using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using Icd.Pipelines;
using Icd.Web.Api;
using Icd.Web.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Icd.Web;

/// <summary>Settings of <c>icd serve</c>.</summary>
public sealed record WebOptions
{
    /// <summary>Where to listen. Loopback by default: the page runs model work for whoever can reach it.</summary>
    public string Url { get; init; } = "http://127.0.0.1:5757";
    /// <summary>An image the page starts with, and prompts that describe and edit it.</summary>
    public string? ExampleImage { get; init; }
    public string ExampleSource { get; init; } = "";
    public string ExampleTarget { get; init; } = "";
    public long MaxUploadBytes { get; init; } = 16 << 20;

    /// <summary>Host names requests may name (besides localhost, 127.0.0.1 and [::1]): the one in
    /// <see cref="Url"/> is added. Anything else is refused, so a page on another site cannot reach
    /// this server through DNS rebinding.</summary>
    public IReadOnlyList<string> ExtraHosts { get; init; } = [];

    /// <summary>A line the page shows beside the image about what the model knows (the bundled
    /// Shapes model: only its world's captions).</summary>
    public string? ModelNote { get; init; }
}

/// <summary>
/// The local web page: one HTML page (embedded, no build step) over a small JSON API. Model work is
/// queued (<see cref="JobQueue"/>): a POST answers 202 with a job id at once, the page polls
/// <c>/api/jobs/{id}</c> for progress (phase, step, it/s, ETA) and then shows the PNGs.
/// <code>
/// GET  /                         the page
/// GET  /api/model                the model: source, image size, steps, defaults, example prompts
/// GET  /api/example.png          the example image
/// POST /api/generate             prompt [seed guidance tau]
/// POST /api/reconstruct          image prompt [seed]                        (multipart)
/// POST /api/edit                 image source target [method guidance tau seed blend mask]
/// GET  /api/jobs/{id}            state, progress, result (NFE, seconds, metrics, image URLs)
/// GET  /api/jobs/{id}/{name}.png an image of a finished job
/// </code>
/// </summary>
public static class WebServer
{
    // Relaxed escaping keeps prompts readable ("→", quotes); the page inserts text with textContent only.
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static WebApplication Build(IcdModel model, IcdModel? guidedModel, WebOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (options.ExampleImage is { } example && !File.Exists(example))
            throw new FileNotFoundException($"example image not found: {example}", example);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(options.Url);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxUploadBytes + (1 << 20));
        builder.Services.Configure<FormOptions>(f => f.MultipartBodyLengthLimit = options.MaxUploadBytes + (1 << 20));
        builder.Services.AddSingleton<JobQueue>();
        var app = builder.Build();
        var queue = app.Services.GetRequiredService<JobQueue>();
        var work = new ModelWork(model, guidedModel ?? model, options.MaxUploadBytes);

        var hosts = AllowedHosts(options);
        app.Use(async (ctx, next) =>
        {
            var headers = ctx.Response.Headers;
            headers["X-Frame-Options"] = "DENY";
            headers["X-Content-Type-Options"] = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Content-Security-Policy"] = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'; form-action 'self'";
            // DNS rebinding: a name that resolves here but is not ours reads as a foreign site.
            if (!hosts.Contains(ctx.Request.Host.Host))
            {
                await Error(ctx, StatusCodes.Status421MisdirectedRequest, $"this server answers to {string.Join(", ", hosts.Order(StringComparer.Ordinal))}, not to '{ctx.Request.Host.Host}'");
                return;
            }
            try
            {
                await next(ctx);
            }
            catch (BadHttpRequestException e)
            {
                // Kestrel's limits (413 for a body over the upload limit) and malformed requests.
                if (!ctx.Response.HasStarted) await Error(ctx, e.StatusCode, RequestProblem(e, options));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException)
            {
                if (!ctx.Response.HasStarted) await Error(ctx, StatusCodes.Status400BadRequest, $"unreadable request: {e.Message}");
            }
        });

        app.Use(async (ctx, next) =>
        {
            // A page elsewhere could post forms here (they need no CORS preflight): only this origin may.
            if (HttpMethods.IsPost(ctx.Request.Method) && ctx.Request.Headers.Origin is [{ } origin]
                && !string.Equals(origin, $"{ctx.Request.Scheme}://{ctx.Request.Host}", StringComparison.OrdinalIgnoreCase))
            {
                await Error(ctx, StatusCodes.Status403Forbidden, $"requests from {origin} are not accepted; use the page this server serves");
                return;
            }
            await next(ctx);
        });

        app.MapGet("/", () => Results.Content(Page(), "text/html; charset=utf-8"));
        app.MapGet("/api/model", () => Results.Json(new
        {
            source = DisplayName(model.Source),
            family = model.Networks.IsXL ? "sdxl" : "sd15",
            image_size = model.ImageSize,
            forward_steps = model.Boundaries.Forward.Select(s => s.T).ToArray(),
            reverse_steps = model.Boundaries.Reverse.Select(s => s.T).ToArray(),
            guided_model = DisplayName((guidedModel ?? model).Source),
            defaults = model.Defaults,
            example = options.ExampleImage is null ? null : new { source = options.ExampleSource, target = options.ExampleTarget },
            note = options.ModelNote,
        }, Json));
        app.MapGet("/api/example.png", () => options.ExampleImage is { } path
            ? Results.File(File.ReadAllBytes(path), "image/png")
            : Results.NotFound());
        app.MapPost("/api/generate", ctx => Submit(ctx, queue, work.Generate));
        app.MapPost("/api/reconstruct", ctx => Submit(ctx, queue, work.Reconstruct));
        app.MapPost("/api/edit", ctx => Submit(ctx, queue, work.Edit));
        app.MapGet("/api/jobs/{id}", (string id) => queue.Find(id) is { } job ? Results.Json(JobView.Of(job, queue), Json) : NotFound(id));
        app.MapGet("/api/jobs/{id}/{name}.png", (string id, string name) =>
            queue.Find(id)?.Result?.Images.GetValueOrDefault(name) is { } png ? Results.File(png, "image/png") : NotFound(id, name));
        return app;
    }

    private static string RequestProblem(BadHttpRequestException e, WebOptions options) => e.StatusCode == StatusCodes.Status413PayloadTooLarge
        ? $"the upload is larger than this server's limit of {options.MaxUploadBytes >> 20} MB; send a smaller image"
        : $"malformed request: {e.Message}";

    /// <summary>localhost, 127.0.0.1, [::1] and the host of the listening URL.</summary>
    internal static HashSet<string> AllowedHosts(WebOptions options)
    {
        var hosts = new HashSet<string>(["localhost", "127.0.0.1", "[::1]", "::1"], StringComparer.OrdinalIgnoreCase);
        if (Uri.TryCreate(options.Url.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            hosts.Add(uri.Host);
        foreach (var h in options.ExtraHosts) hosts.Add(h);
        return hosts;
    }

    /// <summary>What the page shows of a model path: its last two parts ("shapes/icd.json",
    /// "tiny-sd/model"), never an absolute path.</summary>
    internal static string DisplayName(string source)
    {
        string trimmed = source.TrimEnd('/', '\\');
        string name = Path.GetFileName(trimmed);
        string parent = Path.GetFileName(Path.GetDirectoryName(trimmed) ?? "");
        return parent.Length == 0 ? name : $"{parent}/{name}";
    }

    private static async Task Submit(HttpContext ctx, JobQueue queue, Func<FormReader, WorkItem> make)
    {
        WorkItem item;
        try
        {
            if (!ctx.Request.HasFormContentType)
                throw new BadRequestException("send the fields as a form (multipart/form-data or application/x-www-form-urlencoded)");
            item = make(new FormReader(await ctx.Request.ReadFormAsync(ctx.RequestAborted)));
        }
        catch (BadRequestException e)
        {
            await Error(ctx, StatusCodes.Status400BadRequest, e.Message);
            return;
        }
        catch (InvalidDataException e)
        {
            // The form itself is malformed or over the size limit.
            await Error(ctx, StatusCodes.Status400BadRequest, $"unreadable form: {e.Message}");
            return;
        }
        if (queue.Submit(item.Kind, item.Summary, item.Units, item.Run) is not { } job)
        {
            await Error(ctx, StatusCodes.Status503ServiceUnavailable, $"busy: {JobQueue.MaxPending} jobs are waiting; try again when one has finished");
            return;
        }
        ctx.Response.StatusCode = StatusCodes.Status202Accepted;
        await ctx.Response.WriteAsJsonAsync(JobView.Of(job, queue), Json, ctx.RequestAborted);
    }

    private static Task Error(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        return ctx.Response.WriteAsJsonAsync(new { error = message }, Json);
    }

    private static IResult NotFound(string id, string? image = null) => Results.Json(
        new { error = image is null ? $"no job {id} (finished jobs are kept until {JobQueue.MaxKept} newer ones exist)" : $"job {id} has no image '{image}' (yet)" },
        Json, statusCode: StatusCodes.Status404NotFound);

    private static string Page()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("index.html")
            ?? throw new InvalidOperationException("the page (index.html) is not embedded in Icd.Web");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
