using System.Text.Json;
using System.Text.Json.Serialization;
using Icd.Common;

namespace Icd.Denoising;

/// <summary><c>unet/config.json</c> of a UNet2DConditionModel (diffusers names). Options the port
/// does not implement are accepted only at their default value; <see cref="Validate"/> names any
/// other.</summary>
public sealed record UNetConfig
{
    [JsonPropertyName("sample_size")] public int? SampleSize { get; init; } = 64;
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 4;
    [JsonPropertyName("out_channels")] public int OutChannels { get; init; } = 4;
    [JsonPropertyName("center_input_sample")] public bool CenterInputSample { get; init; }
    [JsonPropertyName("flip_sin_to_cos")] public bool FlipSinToCos { get; init; } = true;
    [JsonPropertyName("freq_shift")] public int FreqShift { get; init; }
    [JsonPropertyName("down_block_types")] public string[] DownBlockTypes { get; init; } =
        ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"];
    [JsonPropertyName("mid_block_type")] public string? MidBlockType { get; init; } = "UNetMidBlock2DCrossAttn";
    [JsonPropertyName("up_block_types")] public string[] UpBlockTypes { get; init; } =
        ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"];
    [JsonPropertyName("only_cross_attention")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public JsonElement OnlyCrossAttention { get; init; }
    [JsonPropertyName("block_out_channels")] public int[] BlockOutChannels { get; init; } = [320, 640, 1280, 1280];
    [JsonPropertyName("layers_per_block")] public int LayersPerBlock { get; init; } = 2;
    [JsonPropertyName("downsample_padding")] public int DownsamplePadding { get; init; } = 1;
    [JsonPropertyName("mid_block_scale_factor")] public double MidBlockScaleFactor { get; init; } = 1.0;
    [JsonPropertyName("dropout")] public double Dropout { get; init; }
    [JsonPropertyName("act_fn")] public string ActFn { get; init; } = "silu";
    [JsonPropertyName("norm_num_groups")] public int NormNumGroups { get; init; } = 32;
    [JsonPropertyName("norm_eps")] public double NormEps { get; init; } = 1e-5;
    [JsonPropertyName("cross_attention_dim")] public int CrossAttentionDim { get; init; } = 768;
    [JsonPropertyName("transformer_layers_per_block")] public IntOrList TransformerLayersPerBlock { get; init; } = IntOrList.Of(1);
    [JsonPropertyName("attention_head_dim")] public IntOrList AttentionHeadDim { get; init; } = IntOrList.Of(8);
    [JsonPropertyName("num_attention_heads")] public IntOrList? NumAttentionHeads { get; init; }
    [JsonPropertyName("dual_cross_attention")] public bool DualCrossAttention { get; init; }
    [JsonPropertyName("use_linear_projection")] public bool UseLinearProjection { get; init; }
    [JsonPropertyName("class_embed_type")] public string? ClassEmbedType { get; init; }
    /// <summary>SDXL: "text_time" (pooled text embedding + Fourier-embedded size/crop ids, added to the time embedding).</summary>
    [JsonPropertyName("addition_embed_type")] public string? AdditionEmbedType { get; init; }
    [JsonPropertyName("addition_embed_type_num_heads")] public int AdditionEmbedTypeNumHeads { get; init; } = 64;
    [JsonPropertyName("addition_time_embed_dim")] public int? AdditionTimeEmbedDim { get; init; }
    [JsonPropertyName("projection_class_embeddings_input_dim")] public int? ProjectionClassEmbeddingsInputDim { get; init; }
    [JsonPropertyName("encoder_hid_dim_type")] public string? EncoderHidDimType { get; init; }
    [JsonPropertyName("num_class_embeds")] public int? NumClassEmbeds { get; init; }
    [JsonPropertyName("upcast_attention")] public bool UpcastAttention { get; init; }
    [JsonPropertyName("resnet_time_scale_shift")] public string ResnetTimeScaleShift { get; init; } = "default";
    [JsonPropertyName("resnet_skip_time_act")] public bool ResnetSkipTimeAct { get; init; }
    [JsonPropertyName("resnet_out_scale_factor")] public double ResnetOutScaleFactor { get; init; } = 1.0;
    [JsonPropertyName("time_embedding_type")] public string TimeEmbeddingType { get; init; } = "positional";
    [JsonPropertyName("time_embedding_dim")] public int? TimeEmbeddingDim { get; init; }
    [JsonPropertyName("time_embedding_act_fn")] public string? TimeEmbeddingActFn { get; init; }
    [JsonPropertyName("timestep_post_act")] public string? TimestepPostAct { get; init; }
    /// <summary>Dimension of the guidance-scale embedding input (guidance-distilled teachers: 512).</summary>
    [JsonPropertyName("time_cond_proj_dim")] public int? TimeCondProjDim { get; init; }
    [JsonPropertyName("conv_in_kernel")] public int ConvInKernel { get; init; } = 3;
    [JsonPropertyName("conv_out_kernel")] public int ConvOutKernel { get; init; } = 3;
    [JsonPropertyName("encoder_hid_dim")] public int? EncoderHidDim { get; init; }
    [JsonPropertyName("attention_type")] public string AttentionType { get; init; } = "default";
    [JsonPropertyName("cross_attention_norm")] public string? CrossAttentionNorm { get; init; }
    [JsonPropertyName("mid_block_only_cross_attention")] public bool? MidBlockOnlyCrossAttention { get; init; }
    [JsonPropertyName("class_embeddings_concat")] public bool ClassEmbeddingsConcat { get; init; }
    [JsonPropertyName("reverse_transformer_layers_per_block")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public JsonElement ReverseTransformerLayersPerBlock { get; init; }

    /// <summary>Heads of block <paramref name="index"/>. SD1.5-style configs name the head count
    /// <c>attention_head_dim</c> (diffusers' long-standing naming quirk) and leave
    /// <c>num_attention_heads</c> null.</summary>
    public int HeadsFor(int index) => (NumAttentionHeads ?? AttentionHeadDim).For(index, BlockOutChannels.Length, "num_attention_heads");

    public int TransformerLayersFor(int index) => TransformerLayersPerBlock.For(index, BlockOutChannels.Length, "transformer_layers_per_block");

    public int TimeEmbedDim => TimeEmbeddingDim ?? BlockOutChannels[0] * 4;

    /// <summary>Length of the pooled text embedding an SDXL UNet expects beside its six time ids.</summary>
    public int? AddedTextEmbedsDim => AdditionEmbedType is "text_time" ? ProjectionClassEmbeddingsInputDim - 6 * AdditionTimeEmbedDim : null;

    public UNetConfig Validate(string source = "unet/config.json")
    {
        void Unsupported(string key, object? value) =>
            throw new InvalidDataException($"{source}: {key}={JsonSerializer.Serialize(value)} is not supported");

        if (BlockOutChannels.Length == 0) throw new InvalidDataException($"{source}: block_out_channels is empty");
        if (DownBlockTypes.Length != BlockOutChannels.Length || UpBlockTypes.Length != BlockOutChannels.Length)
            throw new InvalidDataException($"{source}: down_block_types ({DownBlockTypes.Length}), up_block_types ({UpBlockTypes.Length}) and block_out_channels ({BlockOutChannels.Length}) must have equal lengths");
        foreach (var t in DownBlockTypes)
            if (t is not ("CrossAttnDownBlock2D" or "DownBlock2D")) Unsupported("down_block_types", t);
        foreach (var t in UpBlockTypes)
            if (t is not ("CrossAttnUpBlock2D" or "UpBlock2D")) Unsupported("up_block_types", t);
        if (MidBlockType is not "UNetMidBlock2DCrossAttn") Unsupported("mid_block_type", MidBlockType);
        foreach (int c in BlockOutChannels)
        {
            if (c % NormNumGroups != 0)
                throw new InvalidDataException($"{source}: block_out_channels entry {c} is not divisible by norm_num_groups {NormNumGroups}");
        }
        for (int i = 0; i < BlockOutChannels.Length; i++)
        {
            if (BlockOutChannels[i] % HeadsFor(i) != 0)
                throw new InvalidDataException($"{source}: block {i} has {BlockOutChannels[i]} channels, not divisible by {HeadsFor(i)} heads");
        }
        if (ActFn != "silu") Unsupported("act_fn", ActFn);
        if (CenterInputSample) Unsupported("center_input_sample", true);
        if (DualCrossAttention) Unsupported("dual_cross_attention", true);
        if (OnlyCrossAttention.ValueKind is JsonValueKind.True or JsonValueKind.Array) Unsupported("only_cross_attention", OnlyCrossAttention);
        if (ClassEmbedType is not null) Unsupported("class_embed_type", ClassEmbedType);
        if (AdditionEmbedType is not (null or "text_time")) Unsupported("addition_embed_type", AdditionEmbedType);
        if (AdditionEmbedType is "text_time" && (AdditionTimeEmbedDim is not > 0 || ProjectionClassEmbeddingsInputDim is not > 0))
            throw new InvalidDataException($"{source}: addition_embed_type \"text_time\" needs positive addition_time_embed_dim and projection_class_embeddings_input_dim");
        if (EncoderHidDimType is not null) Unsupported("encoder_hid_dim_type", EncoderHidDimType);
        if (NumClassEmbeds is not null) Unsupported("num_class_embeds", NumClassEmbeds);
        if (ResnetTimeScaleShift != "default") Unsupported("resnet_time_scale_shift", ResnetTimeScaleShift);
        if (ResnetSkipTimeAct) Unsupported("resnet_skip_time_act", true);
        if (ResnetOutScaleFactor != 1.0) Unsupported("resnet_out_scale_factor", ResnetOutScaleFactor);
        if (TimeEmbeddingType != "positional") Unsupported("time_embedding_type", TimeEmbeddingType);
        if (TimeEmbeddingActFn is not null) Unsupported("time_embedding_act_fn", TimeEmbeddingActFn);
        if (TimestepPostAct is not null) Unsupported("timestep_post_act", TimestepPostAct);
        if (EncoderHidDim is not null) Unsupported("encoder_hid_dim", EncoderHidDim);
        if (AttentionType != "default") Unsupported("attention_type", AttentionType);
        if (CrossAttentionNorm is not null) Unsupported("cross_attention_norm", CrossAttentionNorm);
        if (ClassEmbeddingsConcat) Unsupported("class_embeddings_concat", true);
        if (ReverseTransformerLayersPerBlock.ValueKind is JsonValueKind.Array) Unsupported("reverse_transformer_layers_per_block", ReverseTransformerLayersPerBlock);
        if (ConvInKernel % 2 == 0 || ConvOutKernel % 2 == 0) Unsupported("conv_in_kernel/conv_out_kernel (even)", ConvInKernel);
        return this;
    }

    public static UNetConfig Load(string path) => ConfigFile.Read<UNetConfig>(path).Validate(path);
}
