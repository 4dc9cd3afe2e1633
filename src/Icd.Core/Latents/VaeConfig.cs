using System.Text.Json;
using System.Text.Json.Serialization;
using Icd.Common;

namespace Icd.Latents;

/// <summary><c>vae/config.json</c> of an AutoencoderKL (diffusers names).</summary>
public sealed record VaeConfig
{
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 3;
    [JsonPropertyName("out_channels")] public int OutChannels { get; init; } = 3;
    [JsonPropertyName("down_block_types")] public string[] DownBlockTypes { get; init; } =
        ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"];
    [JsonPropertyName("up_block_types")] public string[] UpBlockTypes { get; init; } =
        ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"];
    [JsonPropertyName("block_out_channels")] public int[] BlockOutChannels { get; init; } = [128, 256, 512, 512];
    [JsonPropertyName("layers_per_block")] public int LayersPerBlock { get; init; } = 2;
    [JsonPropertyName("act_fn")] public string ActFn { get; init; } = "silu";
    [JsonPropertyName("latent_channels")] public int LatentChannels { get; init; } = 4;
    [JsonPropertyName("norm_num_groups")] public int NormNumGroups { get; init; } = 32;
    [JsonPropertyName("sample_size")] public int SampleSize { get; init; } = 512;
    /// <summary>SD1.5: 0.18215. Diffusion latents are VAE latents × this.</summary>
    [JsonPropertyName("scaling_factor")] public double ScalingFactor { get; init; } = 0.18215;
    [JsonPropertyName("shift_factor")] public double? ShiftFactor { get; init; }
    [JsonPropertyName("force_upcast")] public bool ForceUpcast { get; init; } = true;
    [JsonPropertyName("use_quant_conv")] public bool UseQuantConv { get; init; } = true;
    [JsonPropertyName("use_post_quant_conv")] public bool UsePostQuantConv { get; init; } = true;
    [JsonPropertyName("mid_block_add_attention")] public bool MidBlockAddAttention { get; init; } = true;
    [JsonPropertyName("latents_mean")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public JsonElement LatentsMean { get; init; }

    /// <summary>Pixels per latent cell along each axis (8 for SD1.5).</summary>
    public int DownscaleFactor => 1 << (BlockOutChannels.Length - 1);

    public VaeConfig Validate(string source = "vae/config.json")
    {
        if (BlockOutChannels.Length == 0 || DownBlockTypes.Length != BlockOutChannels.Length || UpBlockTypes.Length != BlockOutChannels.Length)
            throw new InvalidDataException($"{source}: down_block_types, up_block_types and block_out_channels must have equal, non-zero lengths");
        foreach (var t in DownBlockTypes)
            if (t != "DownEncoderBlock2D") throw new InvalidDataException($"{source}: down_block_types=\"{t}\" is not supported");
        foreach (var t in UpBlockTypes)
            if (t != "UpDecoderBlock2D") throw new InvalidDataException($"{source}: up_block_types=\"{t}\" is not supported");
        if (ActFn != "silu") throw new InvalidDataException($"{source}: act_fn=\"{ActFn}\" is not supported");
        if (ShiftFactor is not null and not 0.0) throw new InvalidDataException($"{source}: shift_factor={ShiftFactor} is not supported");
        if (!UseQuantConv || !UsePostQuantConv) throw new InvalidDataException($"{source}: use_quant_conv/use_post_quant_conv=false is not supported");
        if (!MidBlockAddAttention) throw new InvalidDataException($"{source}: mid_block_add_attention=false is not supported");
        if (LatentsMean.ValueKind == JsonValueKind.Array) throw new InvalidDataException($"{source}: latents_mean is not supported");
        foreach (int c in BlockOutChannels)
            if (c % NormNumGroups != 0) throw new InvalidDataException($"{source}: block_out_channels entry {c} is not divisible by norm_num_groups {NormNumGroups}");
        if (ScalingFactor <= 0) throw new InvalidDataException($"{source}: scaling_factor must be positive");
        return this;
    }

    public static VaeConfig Load(string path) => ConfigFile.Read<VaeConfig>(path).Validate(path);
}
