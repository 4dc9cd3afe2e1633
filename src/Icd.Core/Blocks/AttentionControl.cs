using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Blocks;

public enum AttentionPlace
{
    Down,
    Mid,
    Up,
}

public enum AttentionKind
{
    Self,
    Cross,
}

/// <summary>Where an attention layer sits in the UNet: <c>down_blocks.{Block}.attentions.{Layer}
/// .transformer_blocks.{TransformerBlock}.attn1|attn2</c>, and the spatial size of its queries.
/// <see cref="Index"/> counts self- (or cross-) attention layers of this kind in forward order.</summary>
public sealed record AttentionSite(
    AttentionPlace Place, int Block, int Layer, int TransformerBlock, AttentionKind Kind, int Index,
    long Height, long Width, long Heads)
{
    public long QueryTokens => Height * Width;

    public string Path => Place switch
    {
        AttentionPlace.Mid => $"mid_block.attentions.{Layer}.transformer_blocks.{TransformerBlock}.{(Kind == AttentionKind.Self ? "attn1" : "attn2")}",
        _ => $"{(Place == AttentionPlace.Down ? "down_blocks" : "up_blocks")}.{Block}.attentions.{Layer}.transformer_blocks.{TransformerBlock}.{(Kind == AttentionKind.Self ? "attn1" : "attn2")}",
    };
}

/// <summary>
/// The one seam for attention editing (Prompt-to-Prompt, attention guidance). Every UNet
/// attention layer hands its post-softmax probabilities, shaped (B, heads, queries, keys), to
/// <see cref="Process"/> and continues with what it returns: the same tensor to only record, a
/// new one to replace. Autograd flows through whatever is returned. The pipeline calls
/// <see cref="BeginStep"/>/<see cref="EndStep"/> around each denoising step.
/// </summary>
public interface IAttentionController
{
    void BeginStep(int step);

    Tensor Process(AttentionSite site, Tensor probabilities);

    void EndStep();
}

/// <summary>State shared by all layers of one UNet: the installed controller and the module
/// outputs to capture (e.g. <c>up_blocks.1.resnets.1</c> for feature guidance).</summary>
public sealed class UNetHooks
{
    private readonly Dictionary<string, List<Tensor>> _captured = new(StringComparer.Ordinal);
    private HashSet<string>? _capture;

    private readonly int[] _attentionCounts = new int[2];

    public IAttentionController? Controller { get; set; }

    /// <summary>Activation checkpointing of every resnet and transformer block (set it through
    /// <c>UNet2DConditionModel.GradientCheckpointing</c>).</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>Runs one layer, checkpointed when that is on and safe: a graph is being recorded
    /// and nothing observes the layers (a controller or a capture would see the recompute twice).
    /// The recompute runs with the LoRA adapters that were active in the first pass: iCD switches
    /// adapters between passes (forward student, reverse student, teacher) before backward.</summary>
    internal Tensor Run(Module module, Func<Tensor[], Tensor> layer, params Tensor[] inputs)
    {
        if (!GradientCheckpointing || Controller is not null || _capture is not null || !Autograd.IsGradEnabled) return layer(inputs);
        var loras = module.NamedModules().Select(m => m.Module).OfType<ILoraLayer>().ToArray();
        var active = loras.Select(l => l.ActiveAdapter).ToArray();
        return Checkpoint.Apply(x =>
        {
            var current = loras.Select(l => l.ActiveAdapter).ToArray();
            for (int k = 0; k < loras.Length; k++) loras[k].ActiveAdapter = active[k];
            try
            {
                return [layer(x)];
            }
            finally
            {
                for (int k = 0; k < loras.Length; k++) loras[k].ActiveAdapter = current[k];
            }
        }, 1, inputs)[0];
    }

    /// <summary>Number of self- or cross-attention layers in the UNet.</summary>
    public int AttentionCount(AttentionKind kind) => _attentionCounts[(int)kind];

    /// <summary>Numbers attention layers in construction order, which is forward order.</summary>
    internal int NextAttentionIndex(AttentionKind kind) => _attentionCounts[(int)kind]++;

    internal bool Capturing(string path) => _capture is not null && _capture.Contains(path);

    internal void Record(string path, Tensor output)
    {
        if (!Capturing(path)) return;
        if (!_captured.TryGetValue(path, out var list)) _captured[path] = list = new();
        list.Add(output.Share().DetachFromScope());
    }

    /// <summary>Starts capturing the outputs of the named modules; dispose the result to stop.
    /// Each forward pass appends one tensor per module (autograd graph kept).</summary>
    public FeatureCapture Capture(params string[] paths)
    {
        if (_capture is not null) throw new InvalidOperationException("a feature capture is already active on this UNet");
        _capture = new HashSet<string>(paths, StringComparer.Ordinal);
        return new FeatureCapture(this);
    }

    internal IReadOnlyDictionary<string, List<Tensor>> Captured => _captured;

    internal void StopCapture()
    {
        foreach (var list in _captured.Values)
            foreach (var t in list) t.Dispose();
        _captured.Clear();
        _capture = null;
    }
}

/// <summary>Captured module outputs, by module path; disposing releases them.</summary>
public sealed class FeatureCapture : IDisposable
{
    private readonly UNetHooks _hooks;

    internal FeatureCapture(UNetHooks hooks) => _hooks = hooks;

    /// <summary>The outputs of <paramref name="path"/> in forward order (new handles).</summary>
    public Tensor[] Get(string path) =>
        _hooks.Captured.TryGetValue(path, out var list) ? list.Select(t => t.Share()).ToArray()
            : throw new KeyNotFoundException($"no output captured for '{path}' (is the name a module of this UNet, and did a forward pass run?)");

    /// <summary>Forgets what was captured so far (between denoising passes).</summary>
    public void Clear()
    {
        foreach (var list in _hooks.Captured.Values)
        {
            foreach (var t in list) t.Dispose();
            list.Clear();
        }
    }

    public void Dispose() => _hooks.StopCapture();
}
