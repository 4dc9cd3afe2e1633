using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Icd.Editing;
using Icd.Imaging;
using Icd.Metrics;
using Icd.Pipelines;
using Icd.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Icd.Web.Tests;

/// <summary>The tiny reference model behind a real server on a free loopback port, with the
/// options a fixture chooses.</summary>
public abstract class LoopbackServer : IAsyncLifetime
{
    public IcdModel Model { get; } = IcdModel.Load(Paths.TinySd);
    public WebApplication App { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    protected abstract WebOptions Options();

    public virtual async Task InitializeAsync()
    {
        App = WebServer.Build(Model, null, Options() with { Url = "http://127.0.0.1:0" });
        await App.StartAsync();
        string address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client = new HttpClient { BaseAddress = new Uri(address) };
    }

    public virtual async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        Model.Dispose();
    }
}

/// <summary>The server with an example image and prompts, as `icd serve` runs the bundled model.</summary>
public sealed class ServerFixture : LoopbackServer
{
    public string ExampleImage { get; } = Path.Combine(Path.GetTempPath(), $"icd-web-example-{Environment.ProcessId}.png");

    protected override WebOptions Options()
    {
        File.WriteAllBytes(ExampleImage, WebServerTests.TestPng(Model.ImageSize));
        return new WebOptions { ExampleImage = ExampleImage, ExampleSource = "a photo", ExampleTarget = "a drawing" };
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        File.Delete(ExampleImage);
    }
}

public class WebServerTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private HttpClient Client => server.Client;

    /// <summary>A smooth colour ramp as PNG bytes.</summary>
    public static byte[] TestPng(int size)
    {
        var image = RgbImage.Blank(size, size);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                image[x, y] = ((byte)(255 * x / size), (byte)(255 * y / size), 128);
        return PngEncoder.Encode(image);
    }

    private static MultipartFormDataContent Form(params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        return form;
    }

    private static MultipartFormDataContent WithImage(MultipartFormDataContent form, byte[] png, string fileName = "input.png", string field = "image")
    {
        var content = new ByteArrayContent(png);
        content.Headers.ContentType = new("image/png");
        form.Add(content, field, fileName);
        return form;
    }

    private async Task<JsonElement> Finish(HttpResponseMessage submitted)
    {
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        string id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var job = await Client.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
            string state = job.GetProperty("state").GetString()!;
            if (state is "done" or "failed") return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {id} still {state}");
            await Task.Delay(20);
        }
    }

    private async Task<RgbImage> Image(JsonElement job, string name)
    {
        string url = job.GetProperty("result").GetProperty("images").GetProperty(name).GetString()!;
        var response = await Client.GetAsync(url);
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        return ImageFile.Decode(await response.Content.ReadAsByteArrayAsync(), url);
    }

    [Fact]
    public async Task GenerateRunsTheReverseStepsAndServesThePng()
    {
        var job = await Finish(await Client.PostAsync("/api/generate", Form(("prompt", "a cat"), ("seed", "5"))));
        Assert.Equal("done", job.GetProperty("state").GetString());
        Assert.Equal(server.Model.Boundaries.Reverse.Count, job.GetProperty("result").GetProperty("nfe").GetInt32());
        Assert.Equal(job.GetProperty("units_total").GetInt32(), job.GetProperty("units_done").GetInt32());
        var image = await Image(job, "generated");
        // The same request through the library gives the same pixels.
        var expected = new IcdPipeline(server.Model).Generate("a cat", new GenerateOptions
        {
            Seed = 5, Guidance = new Icd.Sampling.GuidanceSchedule.Dynamic(server.Model.Defaults.GenerationGuidance, 1),
        }).Image;
        Assert.Equal(expected.Pixels, image.Pixels);
    }

    [Theory]
    [InlineData("p2p", 3)]
    [InlineData("switch", 2)]
    public async Task EditReturnsTheInputTheEditAndItsNfe(string method, int images)
    {
        var form = WithImage(Form(("source", "a photo"), ("target", "a drawing"), ("method", method)), TestPng(48));
        var job = await Finish(await Client.PostAsync("/api/edit", form));
        Assert.Equal("done", job.GetProperty("state").GetString());
        var result = job.GetProperty("result");
        Assert.Equal(server.Model.Boundaries.Forward.Count + server.Model.Boundaries.Reverse.Count, result.GetProperty("nfe").GetInt32());
        Assert.Equal(images, result.GetProperty("images").EnumerateObject().Count());
        var edited = await Image(job, "edited");
        Assert.Equal(server.Model.ImageSize, edited.Width); // resized to the model's size, as the CLI does
    }

    [Fact]
    public async Task AnEditInsideAPaintedMaskRunsAndSaysSo()
    {
        // The mask is white on the left half: the job runs, and its summary says it used the mask.
        var maskImage = RegionBlend.MaskImage(48, 48, p => p % 48 < 24);
        var form = WithImage(WithImage(Form(("source", "a photo"), ("target", "a drawing")), TestPng(48)), PngEncoder.Encode(maskImage), "mask.png", "mask");
        var submitted = await Client.PostAsync("/api/edit", form);
        var job = await Finish(submitted);
        Assert.Equal("done", job.GetProperty("state").GetString());
        Assert.Contains("inside the painted mask", job.GetProperty("summary").GetString());
        Assert.Equal(3, job.GetProperty("result").GetProperty("images").EnumerateObject().Count());
    }

    [Fact]
    public async Task ReconstructReportsMetricsAgainstTheInput()
    {
        var job = await Finish(await Client.PostAsync("/api/reconstruct", WithImage(Form(("prompt", "a photo")), TestPng(server.Model.ImageSize))));
        var metrics = job.GetProperty("result").GetProperty("metrics");
        var input = await Image(job, "input");
        var reconstruction = await Image(job, "reconstruction");
        Assert.Equal(ImageMetrics.Psnr(input, reconstruction), metrics.GetProperty("psnr").GetDouble(), 6);
    }

    [Theory]
    [InlineData("/api/edit", "source=a photo", "no image")]
    [InlineData("/api/edit", "image;target=b", "'source' is empty")]
    [InlineData("/api/edit", "image;source=a;target=b;guidance=abc", "'guidance' is 'abc', not a number")]
    [InlineData("/api/edit", "image;source=a;target=b;guidance=-1", "'guidance' is -1; it must be in [0, 50]")]
    [InlineData("/api/edit", "image;source=a;target=b;tau=2", "'tau' is 2")]
    [InlineData("/api/edit", "image;source=a;target=b;seed=-3", "'seed' is '-3'")]
    [InlineData("/api/edit", "image;source=a;target=b;method=inpaint", "expected one of p2p, switch, guided")]
    [InlineData("/api/edit", "image;source=a red cat;target=a blue cat;blend=green blue", "'green' is not a word of the source prompt")]
    [InlineData("/api/edit", "notpng;source=a;target=b", "not a PNG or JPEG")]
    [InlineData("/api/edit", "image;mask8;source=a;target=b", "'mask' is 8×8 but 'image' is 16×16")]
    [InlineData("/api/edit", "image;mask16;source=a;target=b;method=guided", "'mask' works with the methods p2p and switch")]
    [InlineData("/api/generate", "seed=1", "'prompt' is empty")]
    public async Task BadInputIsA400NamingTheField(string path, string fields, string message)
    {
        var form = new MultipartFormDataContent();
        foreach (var field in fields.Split(';'))
        {
            if (field == "image") WithImage(form, TestPng(16));
            else if (field == "notpng") WithImage(form, "hello"u8.ToArray(), "notes.txt");
            else if (field.StartsWith("mask", StringComparison.Ordinal)) WithImage(form, TestPng(int.Parse(field[4..])), "mask.png", "mask");
            else form.Add(new StringContent(field[(field.IndexOf('=') + 1)..]), field[..field.IndexOf('=')]);
        }
        var response = await Client.PostAsync(path, form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task JobsLeaveNoTensorsBehind()
    {
        // Warm up (caches, lazily created tensors), then count native tensors across more jobs.
        await Finish(await Client.PostAsync("/api/generate", Form(("prompt", "a cat"))));
        long before = Icd.Torch.Tensor.SettledLiveHandles();
        for (int i = 0; i < 6; i++)
            await Finish(await Client.PostAsync("/api/generate", Form(("prompt", "a cat"), ("seed", $"{i}"))));
        await Finish(await Client.PostAsync("/api/edit", WithImage(Form(("source", "a photo"), ("target", "a drawing")), TestPng(32))));
        Assert.Equal(before, Icd.Torch.Tensor.SettledLiveHandles());
    }

    [Fact]
    public async Task PostsFromAnotherOriginAreRefused()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/generate") { Content = Form(("prompt", "a cat")) };
        request.Headers.Add("Origin", "http://example.com");
        var response = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task UnknownJobsAndImagesAre404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/api/jobs/424242")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/api/jobs/424242/edited.png")).StatusCode);
    }

    [Fact]
    public async Task ThePageAndTheModelDescriptionAreServed()
    {
        var page = await Client.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        foreach (var api in new[] { "/api/model", "/api/edit", "/api/generate", "/api/reconstruct", "/api/jobs/" }) Assert.Contains(api, html);
        var model = await Client.GetFromJsonAsync<JsonElement>("/api/model");
        Assert.Equal(server.Model.ImageSize, model.GetProperty("image_size").GetInt32());
        Assert.Equal("a photo", model.GetProperty("example").GetProperty("source").GetString());
        Assert.Equal(File.ReadAllBytes(server.ExampleImage), await Client.GetByteArrayAsync("/api/example.png"));
    }
}
