using System.Text.Json.Serialization;
using Icd.Common;

namespace Icd.Metrics.Dino;

/// <summary>transformers' Dinov2Config (<c>facebook/dinov2-base</c> values as defaults).</summary>
public sealed record Dinov2Config
{
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("mlp_ratio")] public double MlpRatio { get; init; } = 4;
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 518;
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 14;
    [JsonPropertyName("num_channels")] public int NumChannels { get; init; } = 3;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-6;
    [JsonPropertyName("layerscale_value")] public double LayerScaleValue { get; init; } = 1.0;
    [JsonPropertyName("use_swiglu_ffn")] public bool UseSwiGluFfn { get; init; }
    [JsonPropertyName("qkv_bias")] public bool QkvBias { get; init; } = true;

    public int IntermediateSize => (int)(HiddenSize * MlpRatio);

    public Dinov2Config Validate(string source = "config.json")
    {
        VitShape.Check(source, HiddenSize, NumAttentionHeads, NumHiddenLayers, ImageSize, PatchSize, NumChannels, HiddenAct);
        if (UseSwiGluFfn) throw new InvalidDataException($"{source}: use_swiglu_ffn (DINOv2 giant) is not supported; the metric is DINOv2-base");
        return this;
    }

    public static Dinov2Config Load(string path) => ConfigFile.Read<Dinov2Config>(path).Validate(path);
}

/// <summary>transformers' ViTConfig (<c>facebook/dino-vitb8</c>: ViT-B/8 without pooler).</summary>
public sealed record VitConfig
{
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 224;
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 16;
    [JsonPropertyName("num_channels")] public int NumChannels { get; init; } = 3;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    [JsonPropertyName("qkv_bias")] public bool QkvBias { get; init; } = true;

    public VitConfig Validate(string source = "config.json")
    {
        VitShape.Check(source, HiddenSize, NumAttentionHeads, NumHiddenLayers, ImageSize, PatchSize, NumChannels, HiddenAct);
        if (IntermediateSize <= 0) throw new InvalidDataException($"{source}: intermediate_size must be positive");
        return this;
    }

    public static VitConfig Load(string path) => ConfigFile.Read<VitConfig>(path).Validate(path);
}

internal static class VitShape
{
    public static void Check(string source, int hidden, int heads, int layers, int image, int patch, int channels, string act)
    {
        if (hidden <= 0 || heads <= 0 || hidden % heads != 0)
            throw new InvalidDataException($"{source}: hidden_size {hidden} is not divisible by num_attention_heads {heads}");
        if (layers <= 0 || channels <= 0) throw new InvalidDataException($"{source}: sizes must be positive");
        if (patch <= 0 || image < patch || image % patch != 0)
            throw new InvalidDataException($"{source}: image_size {image} is not a multiple of patch_size {patch}");
        if (act is not ("gelu" or "gelu_new" or "gelu_pytorch_tanh" or "quick_gelu"))
            throw new InvalidDataException($"{source}: hidden_act=\"{act}\" is not supported");
    }
}
