using System.Text.Json;
using Icd.Checkpoints;
using Icd.Denoising;
using Icd.Sampling;
using Icd.Text;
using Icd.Torch;
using Icd.Torch.Serialization;

namespace Icd.Reference;

/// <summary>One output of one check: pass when |actual − expected| ≤ atol + rtol·|expected|
/// everywhere (and shapes are equal). <see cref="WorstRatio"/> is max |err| / (atol + rtol·|e|).</summary>
public sealed record ReferenceResult(string Check, string Component, string Output, bool Passed,
    double MaxAbsError, double WorstRatio, string? Problem);

/// <summary>
/// Runs a reference case (<c>shared/reference/README.md</c>): a diffusers model folder (or, for the
/// metric networks, one transformers/torchvision model), <c>checks.json</c> and
/// <c>tensors.safetensors</c> with inputs and expected outputs from the reference Python
/// implementation. Unknown components fail rather than being skipped.
/// </summary>
public sealed class ReferenceChecker : IDisposable
{
    private readonly string _caseDirectory;
    private readonly SafetensorsFile _tensors;
    private readonly Lazy<StableDiffusionModels> _models;
    private readonly Lazy<MetricComponents> _metrics;

    public ReferenceChecker(string caseDirectory)
    {
        if (!Directory.Exists(caseDirectory)) throw new DirectoryNotFoundException($"reference case not found: {caseDirectory}");
        _caseDirectory = caseDirectory;
        _tensors = SafetensorsFile.Open(Path.Combine(caseDirectory, "tensors.safetensors"));
        _models = new(() => StableDiffusionLoader.Load(Path.Combine(caseDirectory, "model")));
        _metrics = new(() => new MetricComponents(Path.Combine(caseDirectory, "model")));
    }

    /// <summary>Finds case folders: <paramref name="path"/> itself if it holds checks.json, else its sub-folders that do.</summary>
    public static IReadOnlyList<string> FindCases(string path)
    {
        if (File.Exists(Path.Combine(path, "checks.json"))) return [path];
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"reference folder not found: {path}");
        var cases = Directory.GetDirectories(path).Where(d => File.Exists(Path.Combine(d, "checks.json"))).Order(StringComparer.Ordinal).ToList();
        if (cases.Count == 0) throw new FileNotFoundException($"{path}: no checks.json here or in any sub-folder");
        return cases;
    }

    public IEnumerable<ReferenceResult> Run()
    {
        string checksPath = Path.Combine(_caseDirectory, "checks.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(checksPath));
        foreach (var check in doc.RootElement.EnumerateArray())
        {
            string name = check.GetProperty("name").GetString()!;
            string component = check.GetProperty("component").GetString()!;
            double atol = check.GetProperty("atol").GetDouble(), rtol = check.GetProperty("rtol").GetDouble();
            var inputs = check.GetProperty("inputs");
            var outputs = check.GetProperty("outputs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            Dictionary<string, Tensor> actual;
            using var scope = new TensorScope();
            string? failure = null;
            try
            {
                using var noGrad = Autograd.InferenceMode();
                actual = RunComponent(component, inputs);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failure = e.Message;
                actual = new();
            }
            foreach (var (output, key) in outputs)
            {
                if (failure is not null)
                {
                    yield return new ReferenceResult(name, component, output, false, double.NaN, double.NaN, failure);
                    continue;
                }
                if (!actual.TryGetValue(output, out var got))
                {
                    yield return new ReferenceResult(name, component, output, false, double.NaN, double.NaN, $"component produced no '{output}'");
                    continue;
                }
                yield return Compare(name, component, output, _tensors.Load(key), got, atol, rtol);
            }
        }
    }

    private static ReferenceResult Compare(string name, string component, string output, Tensor expected, Tensor actual, double atol, double rtol)
    {
        if (!expected.Shape.SequenceEqual(actual.Shape))
            return new ReferenceResult(name, component, output, false, double.NaN, double.NaN,
                $"shape [{string.Join(", ", actual.Shape)}], expected [{string.Join(", ", expected.Shape)}]");
        using var scope = new TensorScope();
        var e = expected.To(DType.Float64);
        var a = actual.To(DType.Float64);
        if (!a.AllFinite())
            return new ReferenceResult(name, component, output, false, double.NaN, double.NaN, "output contains NaN or infinity");
        var err = (a - e).Abs();
        double maxAbs = expected.NumberOfElements == 0 ? 0 : err.Max().Item();
        double ratio = expected.NumberOfElements == 0 ? 0 : (err / (e.Abs() * rtol + atol)).Max().Item();
        if (atol == 0 && rtol == 0) ratio = maxAbs == 0 ? 0 : double.PositiveInfinity;
        return new ReferenceResult(name, component, output, ratio <= 1, maxAbs, ratio, null);
    }

    private Dictionary<string, Tensor> RunComponent(string component, JsonElement inputs)
    {
        Tensor In(string arg) => _tensors.Load(inputs.GetProperty(arg).GetString()!);
        bool Has(string arg) => inputs.TryGetProperty(arg, out _);
        long Int(string arg) => inputs.GetProperty(arg).GetInt64();

        List<string>? Texts(string arg) => !inputs.TryGetProperty(arg, out var text) ? null
            : text.ValueKind == JsonValueKind.Array ? text.EnumerateArray().Select(t => t.GetString()!).ToList() : [text.GetString()!];
        (int, int) Pair(string arg) => (inputs.GetProperty(arg)[0].GetInt32(), inputs.GetProperty(arg)[1].GetInt32());
        SdxlPromptEncoder Xl() => _models.Value.XLPrompts ?? throw new InvalidDataException("an SDXL check on a model without text_encoder_2");

        switch (component)
        {
            case "tokenizer":
            case "tokenizer_2":
            {
                var prompts = Texts("text")!;
                var tokenizer = component == "tokenizer" ? _models.Value.Tokenizer
                    : _models.Value.Tokenizer2 ?? throw new InvalidDataException("a tokenizer_2 check on a model without tokenizer_2");
                return new() { ["input_ids"] = Tensor.FromValues(tokenizer.Encode(prompts), prompts.Count, 77) };
            }
            case "text_encoder":
            {
                var states = _models.Value.TextEncoder.ForwardStates(In("input_ids"));
                return new() { ["last_hidden_state"] = states.LastHiddenState, ["penultimate_hidden_state"] = states.PenultimateHiddenState };
            }
            case "text_encoder_2":
            {
                var encoder = _models.Value.TextEncoder2 ?? throw new InvalidDataException("a text_encoder_2 check on a model without text_encoder_2");
                var (states, textEmbeds) = encoder.Forward(In("input_ids"));
                return new()
                {
                    ["last_hidden_state"] = states.LastHiddenState, ["penultimate_hidden_state"] = states.PenultimateHiddenState,
                    ["text_embeds"] = textEmbeds,
                };
            }
            case "sdxl_encode_prompt":
            {
                var prompts = Texts("prompt")!;
                var negative = Texts("negative_prompt");
                if (negative is { Count: 1 } && prompts.Count > 1) negative = Enumerable.Repeat(negative[0], prompts.Count).ToList();
                var negative2 = Texts("negative_prompt_2");
                if (negative2 is { Count: 1 } && prompts.Count > 1) negative2 = Enumerable.Repeat(negative2[0], prompts.Count).ToList();
                var positive = Xl().Encode(prompts, Texts("prompt_2"));
                var unconditional = Xl().EncodeNegative(prompts.Count, negative, negative2);
                return new()
                {
                    ["prompt_embeds"] = positive.PromptEmbeds, ["pooled_prompt_embeds"] = positive.PooledPromptEmbeds,
                    ["negative_prompt_embeds"] = unconditional.PromptEmbeds, ["negative_pooled_prompt_embeds"] = unconditional.PooledPromptEmbeds,
                };
            }
            case "sdxl_add_time_ids":
                return new() { ["add_time_ids"] = AddedConditions.TimeIdsOf(Pair("original_size"), Pair("crops_coords_top_left"), Pair("target_size")) };
            case "unet":
            {
                var t = inputs.GetProperty("timestep").ValueKind == JsonValueKind.Number
                    ? Tensor.FromValues(new[] { Int("timestep") })
                    : In("timestep");
                var cond = Has("timestep_cond") ? In("timestep_cond") : null;
                var added = Has("text_embeds") ? new AddedConditions(In("text_embeds"), In("time_ids")) : null;
                return new() { ["sample"] = _models.Value.UNet.Forward(In("sample"), t, In("encoder_hidden_states"), cond, added) };
            }
            case "vae_encode":
            {
                var dist = _models.Value.Vae.Encode(In("image"));
                return new() { ["mean"] = dist.Mean, ["logvar"] = dist.LogVar };
            }
            case "vae_decode":
                return new() { ["image"] = _models.Value.Vae.Decode(In("latent")) };
            case "ddim_step":
            case "ddim_inverse_step":
            {
                var step = Ddim.Step(_models.Value.Schedule, In("model_output"), Int("timestep"), In("sample"), Int("prev_timestep"));
                return new() { ["prev_sample"] = step.Previous };
            }
            default:
                return _metrics.Value.Run(component, inputs, In);
        }
    }

    public void Dispose()
    {
        _tensors.Dispose();
        if (_models.IsValueCreated) _models.Value.Dispose();
        if (_metrics.IsValueCreated) _metrics.Value.Dispose();
    }
}
