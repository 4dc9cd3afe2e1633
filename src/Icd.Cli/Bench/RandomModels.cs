using Icd.Checkpoints;
using Icd.Common;
using Icd.Denoising;
using Icd.Latents;
using Icd.Pipelines;
using Icd.Sampling;
using Icd.Text;

namespace Icd.Cli.Bench;

/// <summary>The model families' full-size networks with PyTorch-default random weights, for timing
/// only (the images are noise): SD1.5 (runwayml/stable-diffusion-v1-5) and SDXL
/// (stabilityai/stable-diffusion-xl-base-1.0), each UNet with iCD's 512-wide guidance embedding.</summary>
internal static class RandomModels
{
    public static readonly string[] Families = ["sd15", "sdxl"];

    public static UNetConfig UNet(string family) => family == "sdxl"
        ? new UNetConfig
        {
            SampleSize = 128,
            DownBlockTypes = ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
            UpBlockTypes = ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
            BlockOutChannels = [320, 640, 1280],
            AttentionHeadDim = new IntOrList([5, 10, 20], false),
            TransformerLayersPerBlock = new IntOrList([1, 2, 10], false),
            CrossAttentionDim = 2048,
            UseLinearProjection = true,
            AdditionEmbedType = "text_time",
            AdditionTimeEmbedDim = 256,
            ProjectionClassEmbeddingsInputDim = 2816,
            TimeCondProjDim = 512,
        }
        : new UNetConfig { CrossAttentionDim = 768, TimeCondProjDim = 512 };

    /// <summary>SDXL's text_encoder_2 (OpenCLIP ViT-bigG/14's text tower, projecting to 1280).</summary>
    public static ClipTextConfig TextEncoder2 => new()
    {
        HiddenSize = 1280, IntermediateSize = 5120, NumAttentionHeads = 20, NumHiddenLayers = 32, HiddenAct = "gelu", ProjectionDim = 1280,
    };

    public static VaeConfig Vae(string family) => family == "sdxl" ? new VaeConfig { ScalingFactor = 0.13025, SampleSize = 1024 } : new VaeConfig();

    /// <summary>A whole random model of <paramref name="family"/>; the tokenizers come from the
    /// reference case folder (<c>tiny-sd</c>, <c>tiny-sdxl</c>: the real CLIP vocabulary).</summary>
    public static IcdModel Build(string family, string referenceRoot, Icd.Torch.DType dtype = Icd.Torch.DType.Float32)
    {
        bool xl = family == "sdxl";
        string folder = Path.Combine(referenceRoot, xl ? "tiny-sdxl" : "tiny-sd", "model");
        var networks = new StableDiffusionModels
        {
            Tokenizer = ClipTokenizer.Load(Path.Combine(folder, "tokenizer")),
            TextEncoder = new ClipTextModel(new ClipTextConfig()),
            Tokenizer2 = xl ? ClipTokenizer.Load(Path.Combine(folder, "tokenizer_2")) : null,
            TextEncoder2 = xl ? new ClipTextModelWithProjection(TextEncoder2) : null,
            ForceZerosForEmptyPrompt = xl,
            UNet = new UNet2DConditionModel(UNet(family)),
            Vae = new AutoencoderKL(Vae(family)),
            Schedule = NoiseSchedule.StableDiffusion,
            Directory = "(random)",
        };
        // As the loader does: text encoders and UNet in the inference dtype, the VAE in float32.
        networks.TextEncoder.To(dtype);
        networks.TextEncoder2?.To(dtype);
        networks.UNet.To(dtype);
        return IcdModel.FromNetworks(networks, new IcdManifest { Base = "(random)" }, $"random {family}");
    }

    public static string Check(string family) => Families.Contains(family) ? family
        : throw new ArgumentException($"--family: unknown model family '{family}' (known: {string.Join(", ", Families)})");
}
