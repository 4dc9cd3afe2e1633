using Icd.Blocks;
using Icd.Text;
using Icd.Torch;

namespace Icd.Editing.PromptToPrompt;

/// <summary>
/// P2P's LocalBlend as iCD uses it (METHOD C1): from the cross-attention maps of the down and up
/// blocks at the coarsest resolution that has them (SD1.5 at 512²: down_blocks.2 and up_blocks.1,
/// 16×16 — the reference's down_cross[2:4] + up_cross[:3]), taken after the P2P edit as the
/// reference stores them (the target row holds the injected maps), summed over the steps so far: select
/// the blend words' tokens, sum over tokens, mean over heads and layers, 3×3 max-pool (stride 1,
/// pad 1), nearest-resize to the latent, divide by the max, threshold; the target's mask is the
/// union of the source-word and target-word masks. Active from the first step (start_blend 0).
/// </summary>
public sealed class LocalBlend : IDisposable
{
    private readonly Tensor _wordMask;           // (2, 77): blend-word tokens of source / target
    private readonly double _threshold;
    private readonly long _latentHeight, _latentWidth;
    private readonly Dictionary<string, Tensor> _store = new(StringComparer.Ordinal);   // per layer, summed over steps
    private readonly Dictionary<string, Tensor> _stepStore = new(StringComparer.Ordinal);
    private long _resolution = long.MaxValue;

    public LocalBlend(TokenizedPrompt source, TokenizedPrompt target, string sourceWord, string targetWord, double threshold,
        long latentHeight, long latentWidth)
    {
        var src = WordMaps.TokensOfWord(source, sourceWord);
        var trg = WordMaps.TokensOfWord(target, targetWord);
        if (src.Length == 0) throw new ArgumentException($"blend word '{sourceWord}' is not in the source prompt '{string.Join(' ', source.Words)}'");
        if (trg.Length == 0) throw new ArgumentException($"blend word '{targetWord}' is not in the target prompt '{string.Join(' ', target.Words)}'");
        var mask = new float[2 * 77];
        foreach (int k in src) mask[k] = 1;
        foreach (int k in trg) mask[77 + k] = 1;
        _wordMask = Tensor.FromValues(mask, 2, 77).DetachFromScope();
        _threshold = threshold;
        _latentHeight = latentHeight;
        _latentWidth = latentWidth;
    }

    /// <summary>The last mask applied, (2, 1, h, w) of 0/1 (for inspection).</summary>
    public Tensor? LastMask { get; private set; }

    internal void Record(AttentionSite site, Tensor probs)
    {
        if (site.Place == AttentionPlace.Mid) return;
        // Keep the coarsest resolution seen in the down/up blocks; finer maps are not needed.
        if (site.QueryTokens > _resolution) return;
        if (site.QueryTokens < _resolution)
        {
            foreach (var t in _stepStore.Values) t.Dispose();
            _stepStore.Clear();
            _resolution = site.QueryTokens;
        }
        using var noGrad = Autograd.NoGrad();
        // Select the blend words now: (2, heads, Q, 77) → (2, heads, Q) summed over the words' tokens.
        using var selected = (probs.Detach() * _wordMask.View(2, 1, 1, 77)).Sum(-1);
        using var reshaped = selected.View(2, -1, site.Height, site.Width);
        if (_stepStore.Remove(site.Path, out var previous))
        {
            _stepStore[site.Path] = (previous + reshaped).DetachFromScope();
            previous.Dispose();
        }
        else
        {
            _stepStore[site.Path] = reshaped.Clone().DetachFromScope();
        }
        StoreHeight = site.Height;
    }

    /// <summary>Rows of the cross-attention maps the mask is made from (0 before the first step):
    /// the mask's edges are only known to this resolution.</summary>
    private long StoreHeight { get; set; }

    /// <summary>The paste of the input outside the target's last mask for a decoded image of
    /// <paramref name="height"/>×<paramref name="width"/>: the weight fades over one attention-map
    /// cell (8 pixels for the Shapes model's 8×8 maps, 32 for SD1.5's 16×16 at 512²), the resolution
    /// the mask's blocky edges are known to, so the pasted border does not draw those blocks.</summary>
    public OutsidePaste Paste(int height, int width)
    {
        if (LastMask is null || StoreHeight == 0) throw new InvalidOperationException("LocalBlend has made no mask yet");
        using var scope = new TensorScope();
        return OutsidePaste.FromLatentMask(LastMask.Narrow(0, 1, 1), height, width, Math.Max(1, height / StoreHeight));
    }

    internal void EndStep()
    {
        foreach (var (path, t) in _stepStore)
        {
            if (_store.Remove(path, out var sum))
            {
                _store[path] = (sum + t).DetachFromScope();
                sum.Dispose();
                t.Dispose();
            }
            else
            {
                _store[path] = t;
            }
        }
        _stepStore.Clear();
    }

    internal Tensor Apply(Tensor latents)
    {
        if (_store.Count == 0) throw new InvalidOperationException("LocalBlend has no stored cross-attention maps (does the UNet have cross-attention below full resolution?)");
        using var scope = new TensorScope();
        // (2, heads·layers, h, w) → mean over heads and layers.
        var maps = Tensor.Cat(_store.Values.ToArray(), 1).Mean(1, keepDim: true);
        var pooled = Functional.MaxPool2d(maps, 3, 1, 1);
        var resized = Functional.Interpolate(pooled, latents.Size(2), latents.Size(3), InterpolationMode.Nearest);
        var max = resized.Amax([2, 3], keepDim: true);
        var masks = (resized / max).Gt(_threshold);                      // (2, 1, H, W) bool
        var union = masks.Narrow(0, 0, 1).LogicalOr(masks).To(latents.DType); // mask[:1] + mask
        LastMask?.Dispose();
        LastMask = union.Detach().DetachFromScope();
        var sourceRow = latents.Narrow(0, 0, 1);
        return (sourceRow + union * (latents - sourceRow)).MoveToOuterScope();
    }

    public void Dispose()
    {
        foreach (var t in _store.Values.Concat(_stepStore.Values)) t.Dispose();
        _wordMask.Dispose();
        LastMask?.Dispose();
    }
}
