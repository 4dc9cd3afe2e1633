using System.Text.Json;
using Icd.Denoising;
using Icd.Latents;
using Icd.Sampling;
using Icd.Text;
using Icd.Torch;

namespace Icd.Checkpoints;

/// <summary>The networks of an SD1.5-class model, loaded from a diffusers folder.</summary>
public sealed class StableDiffusionModels : IDisposable
{
    public required ClipTokenizer Tokenizer { get; init; }
    public required ClipTextModel TextEncoder { get; init; }
    public required UNet2DConditionModel UNet { get; init; }
    public required AutoencoderKL Vae { get; init; }
    public required NoiseSchedule Schedule { get; init; }
    public required string Directory { get; init; }

    public void Dispose()
    {
        TextEncoder.Dispose();
        UNet.Dispose();
        Vae.Dispose();
    }
}

/// <summary>
/// Loads a diffusers-layout folder: <c>model_index.json</c>, <c>unet/</c>, <c>vae/</c>,
/// <c>text_encoder/</c>, <c>tokenizer/</c>, <c>scheduler/</c>; fp32 or fp16 safetensors
/// (converted to <paramref name="dtype"/> on load), optionally a weight variant ("fp16").
/// </summary>
public static class StableDiffusionLoader
{
    public static StableDiffusionModels Load(string directory, string? variant = null, DType dtype = DType.Float32)
    {
        CheckLayout(directory);
        var tokenizer = ClipTokenizer.Load(Path.Combine(directory, "tokenizer"));
        var textEncoder = LoadTextEncoder(Path.Combine(directory, "text_encoder"), variant, dtype);
        try
        {
            var unet = LoadUNet(Path.Combine(directory, "unet"), variant, dtype);
            try
            {
                var vae = LoadVae(Path.Combine(directory, "vae"), variant, dtype);
                string schedulerPath = Path.Combine(directory, "scheduler", "scheduler_config.json");
                var schedule = new NoiseSchedule(File.Exists(schedulerPath) ? SchedulerConfig.Load(schedulerPath) : SchedulerConfig.StableDiffusion);
                return new StableDiffusionModels
                {
                    Tokenizer = tokenizer, TextEncoder = textEncoder, UNet = unet, Vae = vae, Schedule = schedule, Directory = directory,
                };
            }
            catch
            {
                unet.Dispose();
                throw;
            }
        }
        catch
        {
            textEncoder.Dispose();
            throw;
        }
    }

    private static void CheckLayout(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"model folder not found: {directory}");
        string index = Path.Combine(directory, "model_index.json");
        if (!File.Exists(index)) throw new FileNotFoundException($"{directory} is not a diffusers model folder: model_index.json is missing", index);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(index));
            foreach (var component in new[] { "unet", "vae", "text_encoder", "tokenizer" })
            {
                if (!doc.RootElement.TryGetProperty(component, out _))
                    throw new InvalidDataException($"{index}: no '{component}' entry");
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{index}: invalid JSON ({e.Message})");
        }
    }

    public static UNet2DConditionModel LoadUNet(string unetDirectory, string? variant = null, DType dtype = DType.Float32) =>
        Build(new UNet2DConditionModel(UNetConfig.Load(Path.Combine(unetDirectory, "config.json"))), dtype,
            m => WeightFiles.LoadInto(m, WeightFiles.Find(unetDirectory, "diffusion_pytorch_model", variant)));

    public static AutoencoderKL LoadVae(string vaeDirectory, string? variant = null, DType dtype = DType.Float32) =>
        Build(new AutoencoderKL(VaeConfig.Load(Path.Combine(vaeDirectory, "config.json"))), dtype,
            m => WeightFiles.LoadInto(m, WeightFiles.Find(vaeDirectory, "diffusion_pytorch_model", variant),
                source => LegacyVaeNames.Applies(source.Names) ? new LegacyVaeNames(source) : source));

    public static ClipTextModel LoadTextEncoder(string directory, string? variant = null, DType dtype = DType.Float32) =>
        Build(new ClipTextModel(ClipTextConfig.Load(Path.Combine(directory, "config.json"))), dtype,
            m => WeightFiles.LoadInto(m, WeightFiles.Find(directory, "model", variant), ignorable: ClipTextModel.IsIgnorableKey));

    /// <summary>Casts a freshly built module and loads its weights; disposes it if loading fails.</summary>
    private static T Build<T>(T module, DType dtype, Action<T> load) where T : Icd.Torch.Nn.Module
    {
        try
        {
            if (dtype != DType.Float32) module.To(dtype);
            load(module);
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }
}
