using System.Text.Json.Serialization;
using Icd.Common;
using Icd.Editing;
using Icd.Editing.PromptToPrompt;

namespace Icd.Pipelines;

/// <summary>Default editing settings recorded with a model (iCD SD1.5 launch script values).</summary>
public sealed record EditDefaults
{
    [JsonPropertyName("guidance")] public double Guidance { get; init; } = 19;
    [JsonPropertyName("tau")] public double Tau { get; init; } = 0.8;
    [JsonPropertyName("cross_replace")] public double CrossReplace { get; init; } = 0.3;
    [JsonPropertyName("self_replace")] public double SelfReplace { get; init; } = 0.6;
    [JsonPropertyName("amplify")] public double Amplify { get; init; } = 4;
    [JsonPropertyName("seed")] public ulong Seed { get; init; } = 30;
    [JsonPropertyName("generation_guidance")] public double GenerationGuidance { get; init; } = 7;

    /// <summary>The family's defaults (METHOD B6): iCD's SD1.5 launch script (w 19, τ 0.8), or
    /// iCD-XL's (w 19, τ 0.7); generation w 7 with τ 1 for both.</summary>
    public static EditDefaults For(bool xl) => xl ? new EditDefaults { Tau = 0.7 } : new EditDefaults();

    /// <summary>Prompt-to-Prompt as <c>icd edit</c> runs it by default: both attention controls from
    /// the first step to these bounds, and the target's new words amplified by <see cref="Amplify"/>.</summary>
    public PromptToPromptOptions PromptToPrompt(string source, string target, (string Source, string Target)? blend = null) => new()
    {
        CrossReplace = (0, CrossReplace), SelfReplace = (0, SelfReplace),
        Amplify = EditWords.DefaultAmplify(source, target, Amplify),
        Blend = blend,
    };
}

/// <summary>
/// <c>icd.json</c>: one file that names a whole iCD model. Paths are relative to the manifest.
/// <code>
/// { "base": "stable-diffusion-v1-5",                 // diffusers folder (tokenizer, text encoder, VAE, UNet)
///   "unet": "sd15_cfg_distill.safetensors",          // optional: guidance-distilled teacher UNet weights (.safetensors or .pt)
///   "forward_lora": "iCD-SD15-forward_19_259_519_779.safetensors",
///   "reverse_lora": "iCD-SD15-reverse_259_519_779_999.safetensors",
///   "lora_alpha": 8,
///   "forward_timesteps": [19, 259, 519, 779], "reverse_timesteps": [259, 519, 779, 999],
///   "defaults": { "guidance": 19, "tau": 0.8, ... } }
/// </code>
/// </summary>
public sealed record IcdManifest
{
    [JsonPropertyName("base")] public string Base { get; init; } = "";
    [JsonPropertyName("unet")] public string? UNet { get; init; }
    [JsonPropertyName("forward_lora")] public string? ForwardLora { get; init; }
    [JsonPropertyName("reverse_lora")] public string? ReverseLora { get; init; }
    [JsonPropertyName("lora_alpha")] public double LoraAlpha { get; init; } = 8;
    /// <summary>Null: the family's (iCD SD1.5 [19, 259, 519, 779]; iCD-XL [19, 249, 499, 699]).</summary>
    [JsonPropertyName("forward_timesteps")] public long[]? ForwardTimesteps { get; init; }
    /// <summary>Null: the family's (iCD SD1.5 [259, 519, 779, 999]; iCD-XL [249, 499, 699, 999]).</summary>
    [JsonPropertyName("reverse_timesteps")] public long[]? ReverseTimesteps { get; init; }
    /// <summary>Null: the family's (<see cref="EditDefaults.For"/>).</summary>
    [JsonPropertyName("defaults")] public EditDefaults? Defaults { get; init; }

    /// <summary>The forward (inversion) boundaries for a model of this family (SDXL-class or not).</summary>
    public long[] ForwardTimestepsFor(bool xl) => ForwardTimesteps ?? (xl ? [19, 249, 499, 699] : [19, 259, 519, 779]);

    /// <summary>The reverse (generation and editing) boundaries for a model of this family.</summary>
    public long[] ReverseTimestepsFor(bool xl) => ReverseTimesteps ?? (xl ? [249, 499, 699, 999] : [259, 519, 779, 999]);
    /// <summary>The discount of the multi-resolution noise the students were distilled on (0: white
    /// noise; <see cref="Icd.Training.TrainingNoise"/>): inversion's start noise, and generation's
    /// unless <see cref="GenerationNoise"/> says otherwise.</summary>
    [JsonPropertyName("pyramid_noise")] public double PyramidNoise { get; init; }
    /// <summary>The discount of the noise generation starts from, when the teacher expects other noise
    /// at t = T than its students were distilled on (the Shapes model: a teacher fine-tuned on
    /// pyramid noise, students distilled on white noise, which from white noise generate texture, not
    /// scenes). Null: <see cref="PyramidNoise"/>.</summary>
    [JsonPropertyName("generation_noise")] public double? GenerationNoise { get; init; }
    [JsonPropertyName("variant")] public string? Variant { get; init; }
    /// <summary>Inference dtype: fp32 (default), bf16, fp16 or auto (<see cref="InferencePrecision"/>).</summary>
    [JsonPropertyName("dtype")] public string? DType { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }

    /// <summary>The manifest of a model path: <c>icd.json</c> in a folder, else the path itself.</summary>
    public static string PathOf(string modelPath) => Directory.Exists(modelPath) ? Path.Combine(modelPath, "icd.json") : modelPath;

    /// <summary>The folder a model's manifest sits in, where its relative files live.</summary>
    public static string DirectoryOf(string modelPath) => Path.GetDirectoryName(Path.GetFullPath(PathOf(modelPath)))!;

    public IcdManifest Validate(string source)
    {
        if (string.IsNullOrWhiteSpace(Base)) throw new InvalidDataException($"{source}: 'base' (the diffusers model folder) is required");
        if (ForwardTimesteps is { Length: 0 } || ReverseTimesteps is { Length: 0 })
            throw new InvalidDataException($"{source}: forward_timesteps and reverse_timesteps must not be empty");
        if (!(LoraAlpha > 0)) throw new InvalidDataException($"{source}: lora_alpha must be positive");
        if (!(PyramidNoise >= 0 && PyramidNoise < 1)) throw new InvalidDataException($"{source}: pyramid_noise must be in [0, 1) (0: white noise), got {PyramidNoise}");
        if (DType is { } d) InferencePrecision.Parse(d, $"{source}: dtype");
        if (GenerationNoise is { } g && !(g >= 0 && g < 1)) throw new InvalidDataException($"{source}: generation_noise must be in [0, 1) (0: white noise), got {g}");
        return this;
    }

    public static IcdManifest Load(string path) => ConfigFile.Read<IcdManifest>(path).Validate(path);
}
