using Icd.Denoising;
using Icd.Latents;
using Icd.Text;

namespace Icd.Shapes;

/// <summary>
/// The Shapes world's network sizes: SD1.5's architectures, scaled to 64×64 images. The VAE
/// downsamples 4× (16×16×4 latents); the UNet has three levels with attention at 16² and 8²
/// (so Prompt-to-Prompt has cross-attention maps below full resolution, as SD1.5 at 512² does).
/// </summary>
public static class ShapesModelConfigs
{
    public static ClipTextConfig TextEncoder(int vocabSize, int eosTokenId) => new()
    {
        VocabSize = vocabSize,
        HiddenSize = 64,
        IntermediateSize = 256,
        NumAttentionHeads = 4,
        NumHiddenLayers = 3,
        MaxPositionEmbeddings = 77,
        EosTokenId = eosTokenId,
        ProjectionDim = 64,
    };

    public static VaeConfig Vae(double scalingFactor = 1.0) => new()
    {
        BlockOutChannels = [32, 64, 64],
        DownBlockTypes = ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
        UpBlockTypes = ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
        LayersPerBlock = 1,
        NormNumGroups = 16,
        LatentChannels = 4,
        SampleSize = 64,
        ScalingFactor = scalingFactor,
    };

    public static UNetConfig UNet(int? guidanceEmbedding = null) => new()
    {
        SampleSize = 16,
        BlockOutChannels = [32, 64, 64],
        DownBlockTypes = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
        UpBlockTypes = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
        LayersPerBlock = 1,
        AttentionHeadDim = Icd.Common.IntOrList.Of(2),
        CrossAttentionDim = 64,
        NormNumGroups = 16,
        TimeCondProjDim = guidanceEmbedding,
    };

    /// <summary>Image encoder stages (64 → 32 → 16 → 8 → 4) and the shared embedding size.</summary>
    public static readonly long[] ImageEncoderChannels = [32, 64, 96, 128];
    public const long EmbedDim = 64;
    public const int GuidanceEmbeddingDim = 64;
}
