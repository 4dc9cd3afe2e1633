using System.IO.Enumeration;
using Icd.Pipelines;

namespace Icd.Hub;

/// <summary>Files of one hub repo, chosen by glob patterns (<c>*</c> within a path segment).</summary>
public sealed record HubFiles(string Repo, string Revision, IReadOnlyList<string> Include)
{
    public HubFiles(string repo, params string[] include) : this(repo, HubReference.DefaultRevision, include)
    {
    }

    public bool Matches(string path) => Include.Any(p => FileSystemName.MatchesSimpleExpression(p, path, ignoreCase: false) && (p.Contains('/') || !path.Contains('/')));
}

/// <summary>A file from outside the hub, saved under <see cref="IcdHome"/>. torchvision's and
/// pytorch-fid's file names end in the first hex digits of their SHA-256, checked as torch.hub does.</summary>
public sealed record UrlFile(Uri Url, string Folder, string FileName, string? Sha256Prefix = null);

/// <summary>iCD's guidance-distilled teacher UNet: a <c>.pt</c> state dict inside a <c>.tar.gz</c>
/// on iCD's storage (METHOD G), converted once to <see cref="SafetensorsName"/>.</summary>
public sealed record TeacherArchive(Uri Url, string SafetensorsName);

/// <summary>A named set of <c>icd pull</c>: what to download, and the <c>icd.json</c> it makes ready.</summary>
public sealed record PullSet(string Name, string Description, IReadOnlyList<HubFiles> Files, IReadOnlyList<UrlFile> Urls,
    TeacherArchive? Teacher, IcdManifest? Manifest);

/// <summary>The released files the papers' code uses (METHOD G), as named sets.</summary>
public static class PullSets
{
    public const string Sd15Repo = "stable-diffusion-v1-5/stable-diffusion-v1-5";
    public const string SdxlRepo = "stabilityai/stable-diffusion-xl-base-1.0";
    public const string IcdSd15Repo = "dbaranchuk/icd-lora-sd15";
    public const string IcdSdxlRepo = "dbaranchuk/icd-lora-sdxl";
    public const string IaeRepo = "ilushado/Cycle-consistency";
    private const string IcdStorage = "https://storage.yandexcloud.net/yandex-research/invertible-cd/";

    /// <summary>A diffusers pipeline's folders with the fp16 weight variant (half the download;
    /// the loader converts to the inference dtype, and keeps the VAE in float32).</summary>
    private static HubFiles Pipeline(string repo, bool xl) => new(repo,
    [
        "model_index.json", "scheduler/scheduler_config.json",
        "tokenizer/*.json", "tokenizer/merges.txt", "text_encoder/config.json", "text_encoder/model.fp16.safetensors",
        .. xl ? new[] { "tokenizer_2/*.json", "tokenizer_2/merges.txt", "text_encoder_2/config.json", "text_encoder_2/model.fp16.safetensors" } : [],
        "unet/config.json", "unet/diffusion_pytorch_model.fp16.safetensors",
        "vae/config.json", "vae/diffusion_pytorch_model.fp16.safetensors",
    ]);

    private static string Hf(string repo, string file) => $"{HubReference.Scheme}{repo}/{file}";

    private static IcdManifest IcdManifestFor(bool xl, string forward, string reverse, string loraRepo, string description) => new()
    {
        Base = xl ? SdxlRepo : Sd15Repo,
        Variant = "fp16",
        UNet = TeacherPath(xl ? "sdxl_cfg_distill.safetensors" : "sd15_cfg_distill.safetensors"),
        ForwardLora = forward,
        ReverseLora = Hf(loraRepo, reverse),
        DType = "auto",
        Description = description,
    };

    /// <summary>Where converted teachers are kept (one copy for every manifest that uses it).</summary>
    public static string TeacherPath(string name) => Path.Combine(IcdHome(), "teachers", name);

    /// <summary><c>ICD_HOME</c>, else <c>$XDG_CACHE_HOME/icd</c> or <c>~/.cache/icd</c>: pulled model
    /// folders, converted teachers and files from outside the hub.</summary>
    public static string IcdHome() =>
        Environment.GetEnvironmentVariable("ICD_HOME") is { Length: > 0 } home ? home
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "icd");

    /// <summary>Built on each call: the teacher paths follow <see cref="IcdHome"/>.</summary>
    public static IReadOnlyList<PullSet> All =>
    [
        new("sd15", "Stable Diffusion 1.5 (diffusers, fp16 weights)", [Pipeline(Sd15Repo, false)], [], null,
            new IcdManifest { Base = Sd15Repo, Variant = "fp16", DType = "auto", Description = "Stable Diffusion 1.5 without iCD students (DDIM baselines only)" }),
        new("sdxl", "Stable Diffusion XL base 1.0 (diffusers, fp16 weights)", [Pipeline(SdxlRepo, true)], [], null,
            new IcdManifest { Base = SdxlRepo, Variant = "fp16", DType = "auto", Description = "SDXL base 1.0 without iCD students (DDIM baselines only)" }),
        new("icd-sd15", "iCD for SD1.5: the guidance-distilled teacher and the 4-step forward/reverse LoRAs",
            [Pipeline(Sd15Repo, false), new(IcdSd15Repo, "forward-19-259-519-779.safetensors", "reverse-259-519-779-999.safetensors")], [],
            new TeacherArchive(new Uri(IcdStorage + "sd15_cfg_distill.pt.tar.gz"), "sd15_cfg_distill.safetensors"),
            IcdManifestFor(false, Hf(IcdSd15Repo, "forward-19-259-519-779.safetensors"), "reverse-259-519-779-999.safetensors", IcdSd15Repo,
                "iCD-SD1.5, 4 forward + 4 reverse steps (dbaranchuk/icd-lora-sd15)")),
        new("icd-sdxl", "iCD for SDXL: the guidance-distilled teacher and the 4-step forward/reverse LoRAs",
            [Pipeline(SdxlRepo, true), new(IcdSdxlRepo, "forward-19-249-499-699.safetensors", "reverse-249-499-699-999.safetensors")], [],
            new TeacherArchive(new Uri(IcdStorage + "sdxl_cfg_distill.pt.tar.gz"), "sdxl_cfg_distill.safetensors"),
            IcdManifestFor(true, Hf(IcdSdxlRepo, "forward-19-249-499-699.safetensors"), "reverse-249-499-699-999.safetensors", IcdSdxlRepo,
                "iCD-XL, 4 forward + 4 reverse steps (dbaranchuk/icd-lora-sdxl)")),
        new("iae", "Inverse-and-Edit: iCD-SD1.5 with the cycle-consistency fine-tuned forward model",
            [Pipeline(Sd15Repo, false), new(IcdSd15Repo, "reverse-259-519-779-999.safetensors"), new(IaeRepo, "finetuned_forward_model.safetensors")], [],
            new TeacherArchive(new Uri(IcdStorage + "sd15_cfg_distill.pt.tar.gz"), "sd15_cfg_distill.safetensors"),
            IcdManifestFor(false, Hf(IaeRepo, "finetuned_forward_model.safetensors"), "reverse-259-519-779-999.safetensors", IcdSd15Repo,
                "Inverse-and-Edit: iCD-SD1.5 reverse model, cycle-consistency forward model (ilushado/Cycle-consistency)")),
        new("metrics", "The papers' metric networks: CLIP ViT-L/14 and B/32, DINOv2-base, DINO ViT-B/8, ImageReward, LPIPS heads and backbones, FID Inception",
            [
                new("openai/clip-vit-large-patch14", "config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json", "model.safetensors"),
                new("openai/clip-vit-base-patch32", "config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json", "model.safetensors"),
                new("facebook/dinov2-base", "config.json", "preprocessor_config.json", "model.safetensors"),
                new("facebook/dino-vitb8", "config.json", "preprocessor_config.json", "pytorch_model.bin"),
                new("THUDM/ImageReward", "ImageReward.pt", "med_config.json"),
                new("google-bert/bert-base-uncased", "vocab.txt"),
            ],
            [
                new(new Uri("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"), "metrics", "alexnet-owt-7be5be79.pth", "7be5be79"),
                new(new Uri("https://download.pytorch.org/models/vgg16-397923af.pth"), "metrics", "vgg16-397923af.pth", "397923af"),
                new(new Uri("https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth"), "metrics", "squeezenet1_1-b8a52dc0.pth", "b8a52dc0"),
                new(new Uri("https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"), "metrics", "pt_inception-2015-12-05-6726825d.pth", "6726825d"),
                new(new Uri("https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/alex.pth"), "metrics/lpips-v0.1", "alex.pth"),
                new(new Uri("https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/vgg.pth"), "metrics/lpips-v0.1", "vgg.pth"),
                new(new Uri("https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/squeeze.pth"), "metrics/lpips-v0.1", "squeeze.pth"),
            ],
            null, null),
    ];

    public static PullSet? Find(string name) => All.FirstOrDefault(s => s.Name == name);
}
