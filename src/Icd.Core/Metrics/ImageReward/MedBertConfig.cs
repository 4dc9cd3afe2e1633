using System.Text.Json.Serialization;
using Icd.Common;

namespace Icd.Metrics.ImageReward;

/// <summary>BLIP's <c>med_config.json</c> (a BertConfig with cross-attention); BLIP sets
/// <c>encoder_width</c> to the vision tower's width whatever the file says.</summary>
public sealed record MedBertConfig
{
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30524;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    [JsonPropertyName("encoder_width")] public int EncoderWidth { get; init; } = 768;
    [JsonPropertyName("add_cross_attention")] public bool AddCrossAttention { get; init; } = true;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }

    public MedBertConfig Validate(string source)
    {
        if (HiddenSize <= 0 || NumAttentionHeads <= 0 || HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}");
        if (NumHiddenLayers <= 0 || IntermediateSize <= 0 || VocabSize <= 0 || MaxPositionEmbeddings <= 0 || EncoderWidth <= 0)
            throw new InvalidDataException($"{source}: sizes must be positive");
        if (!AddCrossAttention) throw new InvalidDataException($"{source}: ImageReward's text encoder needs add_cross_attention");
        if (HiddenAct is not ("gelu" or "gelu_new" or "gelu_pytorch_tanh"))
            throw new InvalidDataException($"{source}: hidden_act=\"{HiddenAct}\" is not supported");
        return this;
    }

    public static MedBertConfig Load(string path) => ConfigFile.Read<MedBertConfig>(path).Validate(path);
}
