using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Metrics;

/// <summary>A network whose intermediate activations define a perceptual distance.</summary>
public interface IPerceptualFeatures
{
    /// <summary>Images (B, 3, H, W) in [−1, 1] → one activation per tapped layer.</summary>
    Tensor[] Features(Tensor images);

    long[] Channels { get; }
}

/// <summary>
/// LPIPS (Zhang et al. 2018, v0.1): for each tapped layer, unit-normalise the activations over
/// channels, square the difference, weight channels with a non-negative 1×1 "lin" layer, average
/// over space; sum over layers. Used as the cycle-consistency loss (through autograd) and as a metric.
/// </summary>
public sealed class Lpips : IDisposable
{
    private readonly IPerceptualFeatures _net;
    private readonly Tensor[] _heads;         // per layer (1, C, 1, 1)
    private readonly Tensor? _shift, _scale;  // LPIPS' ScalingLayer for ImageNet networks
    private readonly IDisposable? _owner;

    private Lpips(IPerceptualFeatures net, Tensor[] heads, Tensor? shift, Tensor? scale, IDisposable? owner)
    {
        _net = net;
        _heads = heads;
        _shift = shift;
        _scale = scale;
        _owner = owner;
    }

    /// <summary>LPIPS-VGG: torchvision's VGG16 features and LPIPS v0.1's linear heads, each as released
    /// (torchvision's <c>vgg16-397923af.pth</c> and lpips' <c>weights/v0.1/vgg.pth</c>, read through the
    /// safe torch.save reader) or converted to safetensors. Missing weights are an error: there is no
    /// silent fallback.</summary>
    public static Lpips Vgg(string vggPath, string linPath) => Load(new Vgg16Features(), "vgg16", vggPath, linPath);

    /// <summary>iCD's LPIPS (<c>piq.LPIPS</c>): each image resized to 224² by Pillow (bicubic), then
    /// LPIPS-VGG. piq standardises [0, 1] input with ImageNet's mean/std, which is LPIPS' scaling layer
    /// on [−1, 1]; its heads are LPIPS v0.1's (<c>lpips_weights.pt</c>, or lpips' <c>vgg.pth</c>).</summary>
    public static Tensor IcdInput(Icd.Imaging.RgbImage image)
    {
        var resized = Icd.Imaging.PillowResize.Resize(image, 224, 224);
        return Pipelines.ImageTensors.ToTensor(resized, 224, 224, Pipelines.ResizeMode.Stretch);
    }

    /// <summary>LPIPS-Alex (the lpips package's default, Inverse-and-Edit's metric): torchvision's
    /// <c>alexnet-owt-7be5be79.pth</c> and lpips' <c>weights/v0.1/alex.pth</c>.</summary>
    public static Lpips Alex(string alexPath, string linPath) => Load(new AlexNetFeatures(), "alexnet", alexPath, linPath);

    /// <summary>LPIPS-Squeeze (PIE-Bench's background LPIPS): torchvision's
    /// <c>squeezenet1_1-b8a52dc0.pth</c> and lpips' <c>weights/v0.1/squeeze.pth</c>.</summary>
    public static Lpips Squeeze(string squeezePath, string linPath) => Load(new SqueezeNetFeatures(), "squeezenet1_1", squeezePath, linPath);

    private static Lpips Load<TNet>(TNet net, string backbone, string backbonePath, string linPath) where TNet : Module, IPerceptualFeatures
    {
        try
        {
            foreach (var p in new[] { backbonePath, linPath })
                if (!File.Exists(p)) throw new FileNotFoundException($"LPIPS needs its weights: {p} is missing (torchvision's {backbone} .pth and lpips' v0.1 head; `icd pull metrics` fetches both)", p);
            using (var weights = WeightSource.Open(backbonePath))
                net.LoadStateDict(new MappedSource(weights.Source, n => n.StartsWith("features.", StringComparison.Ordinal) ? n : null));
            net.Eval();
            net.SetRequiresGrad(false);
            using var lin = WeightSource.Open(linPath);
            var heads = new Tensor[net.Channels.Length];
            for (int k = 0; k < heads.Length; k++)
            {
                // The lpips package's heads are lin{k}.model.1.weight; piq's lpips_weights.pt (iCD's LPIPS) is a list of them.
                string key = $"lin{k}.model.1.weight";
                if (!lin.Source.Names.Contains(key) && lin.Source.Names.Contains($"{k}")) key = $"{k}";
                if (!lin.Source.Names.Contains(key)) throw new InvalidDataException($"{linPath}: no 'lin{k}.model.1.weight' (an LPIPS v0.1 head for {backbone} has {heads.Length} layers)");
                using var head = lin.Source.Load(key);
                if (head.Shape.SequenceEqual(new[] { 1, net.Channels[k], 1, 1 }) is false)
                    throw new InvalidDataException($"{linPath}: '{key}' is [{string.Join(", ", head.Shape)}], {backbone}'s layer {k} needs [1, {net.Channels[k]}, 1, 1]");
                heads[k] = head.To(DType.Float32).DetachFromScope();
            }
            var shift = Tensor.FromValues(new[] { -.030f, -.088f, -.188f }, 1, 3, 1, 1).DetachFromScope();
            var scale = Tensor.FromValues(new[] { .458f, .448f, .450f }, 1, 3, 1, 1).DetachFromScope();
            return new Lpips(net, heads, shift, scale, net);
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    /// <summary>The Shapes world's construction: LPIPS over the Shapes image encoder's stages with
    /// all channel weights 1 (the LPIPS paper's "baseline" variant without learned heads: the squared
    /// distance of unit-normalised features), since no human-judgement data exists for this world.
    /// <paramref name="owner"/>, if given, is disposed with the distance (usually the encoder).</summary>
    public static Lpips OverEncoder(IPerceptualFeatures encoder, IDisposable? owner = null) =>
        new(encoder, encoder.Channels.Select(c => Tensor.Ones([1, c, 1, 1]).DetachFromScope()).ToArray(), null, null, owner);

    /// <summary>Distance per batch element, (B).</summary>
    public Tensor Distance(Tensor a, Tensor b)
    {
        using var scope = new TensorScope();
        Tensor Prep(Tensor x) => _shift is null ? x : (x - _shift) / _scale!;
        var fa = _net.Features(Prep(a));
        var fb = _net.Features(Prep(b));
        Tensor? total = null;
        for (int k = 0; k < fa.Length; k++)
        {
            var na = fa[k] / (fa[k].Square().Sum(1, keepDim: true).Sqrt() + 1e-10);
            var nb = fb[k] / (fb[k].Square().Sum(1, keepDim: true).Sqrt() + 1e-10);
            var layer = ((na - nb).Square() * _heads[k]).Sum(1).Mean([1, 2]);   // (B)
            total = total is null ? layer : total + layer;
        }
        return total!.MoveToOuterScope();
    }

    public void Dispose()
    {
        foreach (var h in _heads) h.Dispose();
        _shift?.Dispose();
        _scale?.Dispose();
        _owner?.Dispose();
    }
}

/// <summary>torchvision's VGG16 <c>features</c> (conv 3×3 + ReLU, max-pools), tapped after
/// relu1_2, relu2_2, relu3_3, relu4_3 and relu5_3 as LPIPS does.</summary>
public sealed class Vgg16Features : Module, IPerceptualFeatures
{
    // (layer index in torchvision's Sequential, in, out); a -1 marks a max-pool, a tap follows index 3, 8, 15, 22, 29.
    private static readonly int[][] Layout =
    [
        [0, 3, 64], [2, 64, 64], [-1], [5, 64, 128], [7, 128, 128], [-1], [10, 128, 256], [12, 256, 256], [14, 256, 256], [-1],
        [17, 256, 512], [19, 512, 512], [21, 512, 512], [-1], [24, 512, 512], [26, 512, 512], [28, 512, 512],
    ];

    private static readonly HashSet<int> Taps = [2, 7, 14, 21, 28];
    private readonly Dictionary<int, Conv2d> _convs = new();

    public Vgg16Features()
    {
        foreach (var l in Layout.Where(l => l[0] >= 0))
            _convs[l[0]] = Child($"features.{l[0]}", new Conv2d(l[1], l[2], 3, padding: 1));
    }

    public long[] Channels { get; } = [64, 128, 256, 512, 512];

    public Tensor[] Features(Tensor images)
    {
        var taps = new List<Tensor>();
        var h = images;
        foreach (var l in Layout)
        {
            if (l[0] < 0)
            {
                h = Functional.MaxPool2d(h, 2, 2);
                continue;
            }
            h = _convs[l[0]].Forward(h).Relu();
            if (Taps.Contains(l[0])) taps.Add(h);
        }
        return taps.ToArray();
    }
}
