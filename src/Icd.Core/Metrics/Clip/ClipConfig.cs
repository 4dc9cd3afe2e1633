using System.Text.Json.Serialization;
using Icd.Common;
using Icd.Text;

namespace Icd.Metrics.Clip;

/// <summary><c>config.json</c> of a transformers CLIPModel (<c>openai/clip-vit-large-patch14</c>,
/// <c>openai/clip-vit-base-patch32</c>): the two towers' configs and the shared embedding width.</summary>
public sealed record ClipConfig
{
    [JsonPropertyName("projection_dim")] public int ProjectionDim { get; init; } = 512;
    [JsonPropertyName("text_config")] public ClipTextConfig TextConfig { get; init; } = new() { HiddenSize = 512, IntermediateSize = 2048, NumAttentionHeads = 8 };
    [JsonPropertyName("vision_config")] public ClipVisionConfig VisionConfig { get; init; } = new();

    public ClipConfig Validate(string source = "config.json")
    {
        if (ProjectionDim <= 0) throw new InvalidDataException($"{source}: projection_dim must be positive");
        TextConfig.Validate($"{source} (text_config)");
        VisionConfig.Validate($"{source} (vision_config)");
        return this;
    }

    public static ClipConfig Load(string path) => ConfigFile.Read<ClipConfig>(path).Validate(path);
}

/// <summary>CLIPVisionConfig with transformers' defaults (ViT-B/32).</summary>
public sealed record ClipVisionConfig
{
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_channels")] public int NumChannels { get; init; } = 3;
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 224;
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 32;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "quick_gelu";
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;

    public int PatchesPerSide => ImageSize / PatchSize;

    public ClipVisionConfig Validate(string source)
    {
        if (HiddenSize <= 0 || NumAttentionHeads <= 0 || HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}");
        if (NumHiddenLayers <= 0 || IntermediateSize <= 0 || NumChannels <= 0)
            throw new InvalidDataException($"{source}: sizes must be positive");
        if (PatchSize <= 0 || ImageSize < PatchSize || ImageSize % PatchSize != 0)
            throw new InvalidDataException($"{source}: image_size {ImageSize} is not a multiple of patch_size {PatchSize}");
        if (HiddenAct is not ("quick_gelu" or "gelu" or "gelu_new" or "gelu_pytorch_tanh"))
            throw new InvalidDataException($"{source}: hidden_act=\"{HiddenAct}\" is not supported");
        return this;
    }
}
