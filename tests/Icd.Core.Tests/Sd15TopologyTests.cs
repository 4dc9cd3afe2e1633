using Icd.Blocks;
using Icd.Denoising;
using Icd.Latents;
using Icd.Lora;
using Icd.Text;
using Icd.Torch;

namespace Icd.Tests;

/// <summary>The full SD1.5 configs build the networks whose state dicts real checkpoints hold:
/// the published parameter counts and a sample of exact key shapes.</summary>
public class Sd15TopologyTests
{
    // runwayml/stable-diffusion-v1-5 unet/config.json, with iCD's guidance embedding (METHOD A2).
    internal static UNetConfig Sd15UNet(int? timeCondProjDim = 512) => new()
    {
        CrossAttentionDim = 768,
        TimeCondProjDim = timeCondProjDim,
        SampleSize = 64,
    };

    [Fact]
    public void UNetHasSd15KeysAndShapes()
    {
        using var unet = new UNet2DConditionModel(Sd15UNet());
        var shapes = unet.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Shape);
        // 859,520,964 parameters in SD1.5's UNet, plus cond_proj (512 → 320, no bias).
        Assert.Equal(859_520_964L + 512 * 320, unet.ParameterCount());
        Assert.Equal(686 + 1, shapes.Count);
        Assert.Equal(new long[] { 320, 4, 3, 3 }, shapes["conv_in.weight"]);
        Assert.Equal(new long[] { 320, 512 }, shapes["time_embedding.cond_proj.weight"]);
        Assert.Equal(new long[] { 1280, 320 }, shapes["time_embedding.linear_1.weight"]);
        Assert.Equal(new long[] { 320, 768 }, shapes["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"]);
        Assert.Equal(new long[] { 2560, 320 }, shapes["down_blocks.0.attentions.0.transformer_blocks.0.ff.net.0.proj.weight"]);
        Assert.Equal(new long[] { 640, 320, 1, 1 }, shapes["down_blocks.1.resnets.0.conv_shortcut.weight"]);
        Assert.Equal(new long[] { 1280, 1280, 3, 3 }, shapes["down_blocks.2.downsamplers.0.conv.weight"]);
        Assert.Equal(new long[] { 1280, 1280, 1, 1 }, shapes["mid_block.attentions.0.proj_in.weight"]);
        Assert.Equal(new long[] { 1280, 2560, 3, 3 }, shapes["up_blocks.0.resnets.0.conv1.weight"]);
        Assert.Equal(new long[] { 1280, 1280, 3, 3 }, shapes["up_blocks.0.upsamplers.0.conv.weight"]);
        Assert.Equal(new long[] { 1280, 1920, 1, 1 }, shapes["up_blocks.1.resnets.2.conv_shortcut.weight"]);
        Assert.Equal(new long[] { 640, 960, 1, 1 }, shapes["up_blocks.2.resnets.2.conv_shortcut.weight"]);
        Assert.Equal(new long[] { 320, 960, 1, 1 }, shapes["up_blocks.3.resnets.0.conv_shortcut.weight"]);
        Assert.Equal(new long[] { 320, 640, 1, 1 }, shapes["up_blocks.3.resnets.2.conv_shortcut.weight"]);
        Assert.Equal(new long[] { 4, 320, 3, 3 }, shapes["conv_out.weight"]);
        Assert.False(shapes.ContainsKey("down_blocks.3.downsamplers.0.conv.weight"));
        Assert.False(shapes.ContainsKey("up_blocks.3.upsamplers.0.conv.weight"));
        // 16 self-attention layers (6 down, 1 mid, 9 up), as METHOD C2 counts them.
        Assert.Equal(16, unet.Hooks.AttentionCount(AttentionKind.Self));
        Assert.Equal(16, unet.Hooks.AttentionCount(AttentionKind.Cross));

        // iCD's rank-64 LoRA on METHOD A3's target modules: 67,252,224 parameters (the released
        // 269 MB fp32 files).
        Assert.Equal(67_252_224L, IcdLoraParameters(unet, 64));
    }

    /// <summary>Parameters of rank-<paramref name="rank"/> LoRA matrices on iCD's target modules.</summary>
    internal static long IcdLoraParameters(UNet2DConditionModel unet, long rank) => LoraTargets.Find(unet, LoraTargets.Icd).Values
        .Sum(layer => { var (a, b) = layer.LoraShapes(rank); return a.Aggregate(1L, (x, y) => x * y) + b.Aggregate(1L, (x, y) => x * y); });

    [Fact]
    public void VaeHasSd15ParameterCount()
    {
        using var vae = new AutoencoderKL(new VaeConfig());
        Assert.Equal(83_653_863L, vae.ParameterCount());
        var shapes = vae.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Shape);
        Assert.Equal(new long[] { 512, 512 }, shapes["encoder.mid_block.attentions.0.to_q.weight"]);
        Assert.Equal(new long[] { 8, 8, 1, 1 }, shapes["quant_conv.weight"]);
        Assert.Equal(new long[] { 128, 256, 1, 1 }, shapes["decoder.up_blocks.3.resnets.0.conv_shortcut.weight"]);
        Assert.Equal(8, vae.Config.DownscaleFactor);
    }

    [Fact]
    public void TextEncoderHasClipVitL14ParameterCount()
    {
        using var te = new ClipTextModel(new ClipTextConfig());
        Assert.Equal(123_060_480L, te.ParameterCount());
        Assert.Contains(te.NamedParameters(), p => p.Name == "text_model.encoder.layers.11.mlp.fc2.weight");
    }
}
