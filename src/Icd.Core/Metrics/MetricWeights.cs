using Icd.Hub;

namespace Icd.Metrics;

/// <summary>
/// Where the metric networks' released files are looked for: Hugging Face repos in the hub cache
/// (CLIP, DINOv2, DINO, ImageReward, BERT's vocabulary) and files from outside the hub under
/// <c>$ICD_HOME/metrics</c> (torchvision backbones, lpips heads, pytorch-fid's Inception), exactly
/// where <c>icd pull metrics</c> puts them. Each property is a path or repo id, never checked here.
/// </summary>
public sealed record MetricWeights
{
    public static MetricWeights Default()
    {
        string folder = Path.Combine(PullSets.IcdHome(), "metrics");
        return new MetricWeights { Folder = folder };
    }

    public string Folder { get; init; } = "";
    public string ClipLarge { get; init; } = "openai/clip-vit-large-patch14";
    public string ClipBase { get; init; } = "openai/clip-vit-base-patch32";
    public string Dinov2 { get; init; } = "facebook/dinov2-base";
    public string Dino { get; init; } = "facebook/dino-vitb8";
    public string ImageReward { get; init; } = "THUDM/ImageReward";
    public string BertVocabulary { get; init; } = "google-bert/bert-base-uncased";

    public string Backbone(string net) => Path.Combine(Folder, net switch
    {
        "alex" => "alexnet-owt-7be5be79.pth",
        "vgg" => "vgg16-397923af.pth",
        "squeeze" => "squeezenet1_1-b8a52dc0.pth",
        _ => throw new ArgumentException($"LPIPS backbone '{net}': expected alex, vgg or squeeze", nameof(net)),
    });

    public string LpipsHead(string net) => Path.Combine(Folder, "lpips-v0.1", net + ".pth");

    /// <summary>pytorch-fid's Inception weights; by default the released file in <see cref="Folder"/>.</summary>
    public string Inception
    {
        get => _inception ?? Path.Combine(Folder, "pt_inception-2015-12-05-6726825d.pth");
        init => _inception = value;
    }

    private readonly string? _inception;

    /// <summary>A repo id or folder → the local folder (hub cache, else the path itself).</summary>
    public static string Resolve(string repoOrFolder) => HubPaths.Resolve(repoOrFolder, Environment.CurrentDirectory);

    /// <summary>bert-base-uncased's vocab.txt.</summary>
    public string BertVocabularyFile => Path.Combine(Resolve(BertVocabulary), "vocab.txt");
}
