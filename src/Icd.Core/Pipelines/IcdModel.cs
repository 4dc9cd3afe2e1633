using Icd.Checkpoints;
using Icd.Denoising;
using Icd.Hub;
using Icd.Imaging;
using Icd.Lora;
using Icd.Sampling;
using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Pipelines;

/// <summary>
/// A loaded iCD model: the base networks plus the forward and reverse students as two LoRA
/// adapters ("forward", "reverse") on ONE copy of the teacher UNet, switched per call, so the
/// pair costs the teacher's memory plus two small adapters. Without LoRA files the students are
/// the teacher itself (useful for DDIM baselines and tests).
/// </summary>
public sealed class IcdModel : IDisposable
{
    public const string ForwardAdapter = "forward";
    public const string ReverseAdapter = "reverse";

    private IcdModel(StableDiffusionModels networks, Boundaries boundaries, EditDefaults defaults, string source, string? forwardAdapter, string? reverseAdapter,
        Training.TrainingNoise inversionNoise, Training.TrainingNoise generationNoise, NetworkSharing? sharing, bool sharesNetworks)
    {
        Networks = networks;
        _sharing = sharing;
        SharesNetworks = sharesNetworks;
        InversionNoise = inversionNoise;
        GenerationNoise = generationNoise;
        Boundaries = boundaries;
        Defaults = defaults;
        Source = source;
        // A plain (not guidance-distilled) UNet does classical CFG: its denoisers need ε(x, t, "").
        if (networks.UNet.Config.TimeCondProjDim is null) _unconditional = EncodeUnconditional().DetachFromScope();
        Forward = new Denoiser(networks.UNet, forwardAdapter, _unconditional);
        Reverse = new Denoiser(networks.UNet, reverseAdapter, _unconditional);
        Teacher = new Denoiser(networks.UNet, null, _unconditional);
    }

    private readonly TextConditioning? _unconditional;

    /// <summary>Which files the networks were loaded from and which LoRA files sit on the UNet under
    /// which adapter name; one instance per set of networks, held by every model that uses them.
    /// Null for networks that did not come from a manifest (<see cref="FromNetworks"/>).</summary>
    private readonly NetworkSharing? _sharing;

    /// <summary>True for a model loaded onto another model's networks (<see cref="Load(string, IcdModel?)"/>):
    /// disposing it leaves the networks to their owner.</summary>
    public bool SharesNetworks { get; }

    public StableDiffusionModels Networks { get; }
    public Boundaries Boundaries { get; }
    public EditDefaults Defaults { get; }
    public string Source { get; }
    public Denoiser Forward { get; }
    public Denoiser Reverse { get; }
    public Denoiser Teacher { get; }

    /// <summary>The noise inversion's first latent (t = 19, or 0) is drawn from: the students'
    /// distillation noise (manifest <c>pyramid_noise</c>; white unless set).</summary>
    public Training.TrainingNoise InversionNoise { get; }

    /// <summary>The noise generation starts from at t = T: what the teacher was last trained on
    /// (manifest <c>generation_noise</c>, else <c>pyramid_noise</c>).</summary>
    public Training.TrainingNoise GenerationNoise { get; }

    /// <summary>x_T of a generation request: its start noise (default <see cref="GenerationNoise"/>)
    /// drawn from its seed, at its size (default the model's).</summary>
    public Tensor GenerationStart(GenerateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int size = (options.Size ?? ImageSize) / VaeScale;
        using var gen = new Generator(options.Seed);
        return (options.StartNoise ?? GenerationNoise).Sample([1, Networks.UNet.Config.InChannels, size, size], gen);
    }

    /// <summary><see cref="EditOptions.SourcePromptAboveTau"/> as the family's reference edits:
    /// iCD-XL's prompt switch keeps the source prompt, unguided, while t > 1000τ (METHOD B6);
    /// iCD SD1.5's decodes with the target prompt throughout.</summary>
    public double? SourcePromptAboveTauFor(EditMethod method, double tau) =>
        method == EditMethod.PromptSwitch && Networks.IsXL ? tau : null;

    public ClipTokenizer Tokenizer => Networks.Tokenizer;
    public NoiseSchedule Schedule => Networks.Schedule;

    /// <summary>Latent cells per pixel side (8 for SD1.5).</summary>
    public int VaeScale => Networks.Vae.Config.DownscaleFactor;

    /// <summary>The model's native image size (SD1.5: 512).</summary>
    public int ImageSize => (Networks.UNet.Config.SampleSize ?? 64) * VaeScale;

    /// <summary>Loads <c>icd.json</c> (or a folder holding one), or a plain diffusers folder (teacher only).</summary>
    public static IcdModel Load(string path) => Load(path, sharing: null);

    /// <summary>The dtype the networks compute in (their weights').</summary>
    public DType ComputeType => Networks.UNet.ComputeType;

    /// <summary>
    /// Loads a manifest onto the networks of <paramref name="sharing"/> when both name the same base
    /// folder, variant and teacher UNet file: its LoRA files become further adapters on the one UNet.
    /// A second model built on the same networks (Inverse-and-Edit's cycle-fine-tuned forward student,
    /// an ablation student) then costs its adapters, megabytes, not a second copy of the networks
    /// (about 4 GB in fp32 at SD1.5's size, 3.4 of them the UNet). Otherwise (or with <paramref name="sharing"/> null) the manifest loads
    /// its own networks. A model that shares must be disposed before the model it shares with.
    /// </summary>
    public static IcdModel Load(string path, IcdModel? sharing) => Load(path, sharing, null);

    /// <param name="dtype">Inference dtype; null: the manifest's <c>dtype</c>, else float32.</param>
    public static IcdModel Load(string path, IcdModel? sharing, DType? dtype)
    {
        path = HubPaths.Resolve(path, Directory.GetCurrentDirectory());
        string manifestPath = IcdManifest.PathOf(path);
        if (!File.Exists(manifestPath))
        {
            if (Directory.Exists(path) && File.Exists(Path.Combine(path, "model_index.json")))
                return FromNetworks(StableDiffusionLoader.Load(path, dtype: dtype ?? DType.Float32), new IcdManifest { Base = path }, path);
            throw new FileNotFoundException($"model not found: {path} has neither icd.json nor model_index.json", manifestPath);
        }
        var manifest = IcdManifest.Load(manifestPath);
        string root = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        string Resolve(string p) => HubPaths.Resolve(p, root);
        var computeType = dtype ?? (manifest.DType is { } d ? InferencePrecision.Parse(d, $"{manifestPath}: dtype") : DType.Float32);
        string networksKey = string.Join("\n", Resolve(manifest.Base), manifest.Variant ?? "", manifest.UNet is null ? "" : Resolve(manifest.UNet), computeType);
        bool shares = sharing?._sharing?.NetworksKey == networksKey;
        var networks = shares ? sharing!.Networks : StableDiffusionLoader.Load(Resolve(manifest.Base), manifest.Variant, computeType);
        try
        {
            if (!shares && manifest.UNet is not null) LoadTeacherWeights(networks.UNet, Resolve(manifest.UNet));
            var adapters = shares ? sharing!._sharing! : new NetworkSharing(networks.UNet, networksKey);
            string? forward = manifest.ForwardLora is null ? null : adapters.Adapter(ForwardAdapter, Resolve(manifest.ForwardLora), manifest.LoraAlpha);
            string? reverse = manifest.ReverseLora is null ? null : adapters.Adapter(ReverseAdapter, Resolve(manifest.ReverseLora), manifest.LoraAlpha);
            return Create(networks, manifest, manifestPath, forward, reverse, adapters, shares);
        }
        catch
        {
            if (!shares) networks.Dispose(); // another model's networks stay with it
            throw;
        }
    }

    /// <summary>A model over networks built in code; its students are the UNet's "forward" and
    /// "reverse" adapters when it has them. Other manifests cannot load onto these networks.</summary>
    public static IcdModel FromNetworks(StableDiffusionModels networks, IcdManifest manifest, string source)
    {
        bool hasForward = UNetLora.Adapters(networks.UNet, ForwardAdapter).Count > 0;
        bool hasReverse = UNetLora.Adapters(networks.UNet, ReverseAdapter).Count > 0;
        return Create(networks, manifest, source, hasForward ? ForwardAdapter : null, hasReverse ? ReverseAdapter : null, sharing: null, sharesNetworks: false);
    }

    private static IcdModel Create(StableDiffusionModels networks, IcdManifest manifest, string source, string? forwardAdapter, string? reverseAdapter,
        NetworkSharing? sharing, bool sharesNetworks)
    {
        bool xl = networks.IsXL;
        var boundaries = Boundaries.FromLists(manifest.ReverseTimestepsFor(xl), manifest.ForwardTimestepsFor(xl), networks.Schedule.TrainSteps - 1);
        return new IcdModel(networks, boundaries, manifest.Defaults ?? EditDefaults.For(xl), source, forwardAdapter, reverseAdapter,
            new Training.TrainingNoise(manifest.PyramidNoise).Validate(), new Training.TrainingNoise(manifest.GenerationNoise ?? manifest.PyramidNoise).Validate(), sharing, sharesNetworks);
    }

    /// <summary>The guidance-distilled teacher's full UNet state dict (iCD's sd15_cfg_distill.pt,
    /// or its safetensors conversion) replaces the base UNet weights.</summary>
    private static void LoadTeacherWeights(UNet2DConditionModel unet, string path)
    {
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            WeightFiles.LoadInto(unet, path);
            return;
        }
        using var checkpoint = TorchCheckpoint.Open(path);
        unet.LoadStateDict(checkpoint);
    }

    /// <summary>The image at the model's size, as the pipelines see it (after crop and resize), in [−1, 1].</summary>
    public Tensor Preprocess(RgbImage image, InversionOptions options)
    {
        int size = options.Size ?? ImageSize;
        int multiple = VaeScale * Networks.UNet.SizeMultiple;
        if (size % multiple != 0)
            throw new ArgumentOutOfRangeException(nameof(options), size, $"image size must be a multiple of {multiple}");
        return ImageTensors.ToTensor(image, size, size, options.Resize);
    }

    /// <summary>Image tensor → diffusion latent: the VAE mean × scaling factor (METHOD B4).</summary>
    public Tensor EncodeImage(Tensor image)
    {
        using var dist = Networks.Vae.Encode(image);
        return dist.Mean * Networks.Vae.Config.ScalingFactor;
    }

    /// <summary>Diffusion latents (B, C, h, w) → one 8-bit image per batch row.</summary>
    public RgbImage[] DecodeLatents(Tensor latents)
    {
        using var scope = new TensorScope();
        var decoded = Networks.Vae.Decode(latents / Networks.Vae.Config.ScalingFactor);
        if (!decoded.AllFinite())
            throw new InvalidOperationException("the VAE decoded NaN or infinite pixels (its weights, or a latent far outside its range); no image was written");
        return Enumerable.Range(0, (int)latents.Size(0)).Select(i => ImageTensors.ToImage(decoded, i)).ToArray();
    }

    /// <summary>The UNet's text conditioning for prompts: token states (B, 77, D) and, for SDXL, the
    /// pooled embedding and time ids. Tokens are the first tokenizer's (Prompt-to-Prompt's columns).</summary>
    public (TextConditioning Embeddings, TokenizedPrompt[] Tokens) EncodePrompts(params string[] prompts)
    {
        var tokens = prompts.Select(Tokenizer.Tokenize).ToArray();
        using var noGrad = Autograd.NoGrad();
        if (Networks.XLPrompts is { } xl) return (TextConditioning.ForXL(xl.Encode(prompts), ImageSize), tokens);
        using var ids = Tensor.FromValues(tokens.SelectMany(t => t.Ids).ToArray(), prompts.Length, ClipTokenizer.MaxLength);
        return (Networks.TextEncoder.Forward(ids), tokens);
    }

    /// <summary>ε(x, t, ∅) of classical CFG: the encoded empty prompt, or SDXL's zeros when the
    /// folder forces them (<c>force_zeros_for_empty_prompt</c>).</summary>
    private TextConditioning EncodeUnconditional()
    {
        using var noGrad = Autograd.NoGrad();
        return Networks.XLPrompts is { } xl ? TextConditioning.ForXL(xl.EncodeNegative(1), ImageSize) : EncodePrompts("").Embeddings;
    }

    public void Dispose()
    {
        _unconditional?.DisposeAll();
        if (!SharesNetworks) Networks.Dispose();
    }
}
