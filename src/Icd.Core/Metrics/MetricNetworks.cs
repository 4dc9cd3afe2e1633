using Icd.Metrics.Clip;
using Icd.Metrics.Dino;
using Icd.Metrics.ImageReward;

namespace Icd.Metrics;

/// <summary>
/// The metric networks of one evaluation, each loaded from <see cref="MetricWeights"/> on first use
/// and kept for the following items. A network whose files are missing fails once with a message
/// naming them and is then reported as unavailable (<see cref="Try"/>) without another attempt.
/// </summary>
public sealed class MetricNetworks(MetricWeights weights) : IDisposable
{
    private readonly Dictionary<string, IDisposable> _loaded = new();
    private readonly Dictionary<string, string> _failed = new();

    public MetricWeights Weights => weights;

    /// <summary>Metrics that could not be computed so far, with the reason (the missing file).</summary>
    public IReadOnlyDictionary<string, string> Unavailable => _failed;

    public Lpips Lpips(string net) => Get($"lpips-{net}", () => net switch
    {
        "alex" => Metrics.Lpips.Alex(weights.Backbone(net), weights.LpipsHead(net)),
        "vgg" => Metrics.Lpips.Vgg(weights.Backbone(net), weights.LpipsHead(net)),
        "squeeze" => Metrics.Lpips.Squeeze(weights.Backbone(net), weights.LpipsHead(net)),
        _ => throw new ArgumentException($"LPIPS backbone '{net}': expected alex, vgg or squeeze", nameof(net)),
    });

    public ClipScorer Clip => Get("clip", () => ClipScorer.Load(weights.ClipLarge));

    public Dinov2Similarity Dinov2 => Get("dinov2", () => Dinov2Similarity.Load(weights.Dinov2));

    public StructureDistance Structure => Get("dino", () => new StructureDistance(VitModel.Load(weights.Dino)));

    public ImageRewardScorer ImageReward => Get("imagereward", () => ImageRewardScorer.Load(weights.ImageReward, weights.BertVocabularyFile));

    /// <summary>A metric's value, or null with the reason its network is unavailable.</summary>
    public MetricValue Try(string name, string definition, Func<double> compute)
    {
        if (_failed.TryGetValue(name, out var reason)) return new MetricValue(name, null, definition, reason);
        try
        {
            return new MetricValue(name, compute(), definition);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or InvalidDataException)
        {
            _failed[name] = e.Message;
            return new MetricValue(name, null, definition, e.Message);
        }
    }

    private T Get<T>(string key, Func<T> load) where T : IDisposable
    {
        if (!_loaded.TryGetValue(key, out var value)) _loaded[key] = value = load();
        return (T)value;
    }

    public void Dispose()
    {
        foreach (var value in _loaded.Values) value.Dispose();
        _loaded.Clear();
    }
}
