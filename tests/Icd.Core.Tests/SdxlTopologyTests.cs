using Icd.Blocks;
using Icd.Common;
using Icd.Denoising;
using Icd.Text;
using Icd.Torch.Nn;

namespace Icd.Tests;

/// <summary>The full SDXL configs build the networks whose state dicts real checkpoints hold:
/// diffusers 0.27.2's parameter counts (issue 39) and a sample of exact key shapes. The UNet is
/// built on the meta device, so no 10 GB of weights are allocated.</summary>
public class SdxlTopologyTests
{
    // stabilityai/stable-diffusion-xl-base-1.0 unet/config.json (diffusers names); iCD-XL's
    // teacher adds the 512-wide guidance embedding (METHOD A2).
    internal static UNetConfig SdxlUNet(int? timeCondProjDim = 512) => new()
    {
        SampleSize = 128,
        DownBlockTypes = ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
        UpBlockTypes = ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
        BlockOutChannels = [320, 640, 1280],
        AttentionHeadDim = new([5, 10, 20], false),
        TransformerLayersPerBlock = new([1, 2, 10], false),
        CrossAttentionDim = 2048,
        UseLinearProjection = true,
        AdditionEmbedType = "text_time",
        AdditionTimeEmbedDim = 256,
        ProjectionClassEmbeddingsInputDim = 2816,
        TimeCondProjDim = timeCondProjDim,
    };

    [Theory]
    [InlineData(null, 2_567_463_684L)]
    [InlineData(512, 2_567_627_524L)]
    public void UNetHasSdxlParameterCount(int? timeCondProjDim, long expected)
    {
        using var meta = Init.OnMeta();
        using var unet = new UNet2DConditionModel(SdxlUNet(timeCondProjDim));
        Assert.Equal(expected, unet.ParameterCount());
    }

    [Fact]
    public void UNetHasSdxlKeysShapesAndIcdLoraSize()
    {
        using var meta = Init.OnMeta();
        using var unet = new UNet2DConditionModel(SdxlUNet());
        var shapes = unet.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Shape);
        Assert.Equal(new long[] { 1280, 2816 }, shapes["add_embedding.linear_1.weight"]);
        Assert.Equal(new long[] { 1280, 1280 }, shapes["add_embedding.linear_2.weight"]);
        Assert.Equal(new long[] { 320, 512 }, shapes["time_embedding.cond_proj.weight"]);
        Assert.Equal(new long[] { 640, 640 }, shapes["down_blocks.1.attentions.0.proj_in.weight"]);
        Assert.Equal(new long[] { 1280, 2048 }, shapes["down_blocks.2.attentions.1.transformer_blocks.9.attn2.to_k.weight"]);
        Assert.Equal(new long[] { 1280, 2048 }, shapes["mid_block.attentions.0.transformer_blocks.9.attn2.to_v.weight"]);
        Assert.Equal(new long[] { 1280, 2048 }, shapes["up_blocks.0.attentions.2.transformer_blocks.9.attn2.to_k.weight"]);
        Assert.Equal(new long[] { 640, 2048 }, shapes["up_blocks.1.attentions.2.transformer_blocks.1.attn2.to_k.weight"]);
        Assert.Equal(new long[] { 320, 960, 1, 1 }, shapes["up_blocks.2.resnets.0.conv_shortcut.weight"]);
        Assert.Equal(new long[] { 640, 640, 3, 3 }, shapes["down_blocks.1.downsamplers.0.conv.weight"]);
        Assert.False(shapes.ContainsKey("down_blocks.0.attentions.0.proj_in.weight"));
        Assert.False(shapes.ContainsKey("down_blocks.2.downsamplers.0.conv.weight"));
        Assert.False(shapes.ContainsKey("up_blocks.2.upsamplers.0.conv.weight"));
        // 70 transformer blocks: down 2·2 + 2·10, mid 10, up 3·2 + 3·10.
        Assert.Equal(70, unet.Hooks.AttentionCount(AttentionKind.Self));

        // iCD-XL's rank-64 LoRA on METHOD A3's target modules: 196,751,360 parameters (787 MB fp32).
        Assert.Equal(196_751_360L, Sd15TopologyTests.IcdLoraParameters(unet, 64));
    }

    [Fact]
    public void TextEncodersHaveSdxlParameterCounts()
    {
        using var meta = Init.OnMeta();
        // openai/clip-vit-large-patch14 (text_encoder) and laion CLIP-ViT-bigG-14 (text_encoder_2).
        using var te = new ClipTextModel(new ClipTextConfig());
        using var te2 = new ClipTextModelWithProjection(new ClipTextConfig
        {
            HiddenSize = 1280, IntermediateSize = 5120, NumAttentionHeads = 20, NumHiddenLayers = 32, HiddenAct = "gelu", ProjectionDim = 1280,
        });
        Assert.Equal(123_060_480L, te.ParameterCount());
        Assert.Equal(694_659_840L, te2.ParameterCount());
        Assert.Contains(te2.NamedParameters(), p => p.Name == "text_projection.weight" && p.Parameter.Shape.SequenceEqual(new long[] { 1280, 1280 }));
    }
}
