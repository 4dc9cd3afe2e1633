using System.CommandLine;
using Icd.Pipelines;
using Icd.Web;
using Microsoft.Extensions.Hosting;

namespace Icd.Cli.Commands;

/// <summary><c>icd serve</c>: the local web page (generate, reconstruct, edit) over one loaded model.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var guided = new Option<string?>("--guided-model") { Description = "model for guided (Inverse-and-Edit) edits; default: inverse-and-edit.json beside --model when there is one, else --model" };
        var host = new Option<string>("--host") { Description = "address to listen on (loopback by default: anyone who can reach the page can run model work)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "port to listen on", DefaultValueFactory = _ => 5757 };
        var dtype = ModelOptions.DType();
        var allowHost = new Option<string[]>("--allow-host") { Description = "a further host name browsers may use to reach the page (repeatable; with --host 0.0.0.0 name the machine's address or name); others are refused against DNS rebinding" };
        var command = new Command("serve", "Serve the local web page: upload an image, edit it with a prompt, watch the steps");
        foreach (var o in new Option[] { model, guided, host, port, allowHost, dtype }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            int p = parse.GetValue(port);
            if (p is < 1 or > 65535) throw new ArgumentException($"--port {p}: expected 1–65535");
            string modelPath = parse.GetValue(model)!;
            using var m = ModelOptions.Load(modelPath, dtype: parse.GetValue(dtype));
            string? guidedPath = parse.GetValue(guided) ?? BesideManifest(modelPath, "inverse-and-edit.json");
            using var g = guidedPath is null ? null : ModelOptions.Load(guidedPath, sharing: m, dtype: parse.GetValue(dtype)); // one copy of the networks when both manifests share them
            bool bundled = Path.GetFullPath(IcdManifest.PathOf(modelPath)) == Path.GetFullPath(ModelOptions.DefaultModel) && File.Exists(DemoCommand.ExampleImage);
            var options = new WebOptions
            {
                Url = $"http://{parse.GetValue(host)}:{p}",
                ExampleImage = bundled ? DemoCommand.ExampleImage : null,
                ExampleSource = DemoCommand.ExampleSource,
                ExampleTarget = DemoCommand.ExampleTarget,
                ExtraHosts = parse.GetValue(allowHost) ?? [],
                ModelNote = bundled
                    ? $"The bundled model knows only the Shapes world: 1–3 coloured circles, squares and triangles on a plain background, described as in \"{DemoCommand.ExampleSource}\". Photos of anything else come out as shapes."
                    : null,
            };
            await using var app = WebServer.Build(m, g, options);
            await app.StartAsync(ct);
            Console.WriteLine($"icd serve: {options.Url}  (model {m.Source}{(g is null ? "" : $"; guided edits: {g.Source}")}); Ctrl+C stops");
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }

    private static string? BesideManifest(string modelPath, string name)
    {
        string path = Path.Combine(IcdManifest.DirectoryOf(modelPath), name);
        return File.Exists(path) && Path.GetFullPath(path) != Path.GetFullPath(modelPath) ? path : null;
    }
}
