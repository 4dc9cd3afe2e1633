using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Icd.Tests;

namespace Icd.Web.Tests;

/// <summary>A server with a 64 KB upload limit, for requests that must be refused.</summary>
public sealed class SmallLimitServer : LoopbackServer
{
    protected override WebOptions Options() => new() { MaxUploadBytes = 64 << 10 };
}

/// <summary>Issue 37, items 11 and 12, over loopback with real HTTP.</summary>
public class WebHardeningTests(SmallLimitServer server) : IClassFixture<SmallLimitServer>
{
    private HttpClient Client => server.Client;

    private static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        string message = body.GetProperty("error").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message;
    }

    [Theory]
    [InlineData("GET", "/api/model")]
    [InlineData("GET", "/api/jobs/1")]
    [InlineData("POST", "/api/generate")]
    public async Task ForeignHostNamesAreRefusedAgainstDnsRebinding(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Host = "evil.example:5757";
        request.Headers.Add("Origin", "http://evil.example:5757");
        if (method == "POST") request.Content = new FormUrlEncodedContent([new("prompt", "a cat")]);
        var response = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
        Assert.Contains("not to 'evil.example'", await ErrorOf(response));
    }

    [Fact]
    public async Task LocalNamesAreServed()
    {
        foreach (var host in new[] { "localhost", "127.0.0.1" })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/model");
            request.Headers.Host = $"{host}:{Client.BaseAddress!.Port}";
            Assert.Equal(HttpStatusCode.OK, (await Client.SendAsync(request)).StatusCode);
        }
    }

    [Fact]
    public async Task PagesCannotBeFramedAndShowNoFilesystemPaths()
    {
        var page = await Client.GetAsync("/");
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        string model = await Client.GetStringAsync("/api/model");
        Assert.DoesNotContain(Paths.RepositoryRoot, model);
        Assert.DoesNotContain("\"/", model);
        Assert.Contains("\"source\":\"tiny-sd/model\"", model);
    }

    [Fact]
    public async Task AnUploadOverTheLimitGetsAJsonMessage()
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent("a photo"), "prompt" },
            { new ByteArrayContent(new byte[2 << 20]), "image", "big.png" },
        };
        var response = await Client.PostAsync("/api/reconstruct", form);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than this server's limit", await ErrorOf(response));
    }

    [Theory]
    [InlineData("multipart/form-data; boundary=abc", "--abc\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\na cat")] // unterminated
    [InlineData("multipart/form-data; boundary=abc", "--xyz\r\ngarbage\r\n--xyz--\r\n")]                                      // wrong boundary
    [InlineData("multipart/form-data", "--abc--")]                                                                               // no boundary
    public async Task MalformedFormsGetAJsonMessage(string contentType, string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var response = await Client.PostAsync("/api/generate", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await ErrorOf(response);
    }
}
