using Icd.Blocks;
using Icd.Text;
using Icd.Torch;

namespace Icd.Editing.PromptToPrompt;

/// <summary>
/// Prompt-to-Prompt (Hertz et al.; METHOD C1) for a two-row batch [source, target]: the source
/// row's attention is injected into the target row. Cross-attention: AttentionReplace (equal word
/// counts, token mapper) or AttentionRefine (global alignment), always wrapped by AttentionReweight
/// (an equalizer, all ones unless words are amplified), blended per token by the alpha table.
/// Self-attention: the target takes the source maps on the configured steps, at all but the
/// highest-resolution layers. LocalBlend keeps the target equal to the source outside the blend
/// words' attention mask.
/// </summary>
public sealed class PromptToPromptController : IAttentionController, IDisposable
{
    private readonly int _steps;
    private readonly float[,] _alpha;            // (steps + 1, 77)
    private readonly Tensor? _replaceMapper;     // (77, 77) source position → target position weights
    private readonly Tensor? _refineMapper;      // (77) int64 source index per target position
    private readonly Tensor? _refineAlphas;      // (77)
    private readonly Tensor _equalizer;          // (77)
    private readonly int _selfStart, _selfEnd;
    private readonly long _maxSelfReplaceQueries;
    private readonly LocalBlend? _localBlend;
    private readonly bool _pasteOutsideBlend;
    private int _step;

    /// <param name="steps">Number of denoising steps (iCD: 4).</param>
    /// <param name="latentHeight">Latent size, to tell the full-resolution attention layers apart.</param>
    public PromptToPromptController(TokenizedPrompt source, TokenizedPrompt target, int steps, PromptToPromptOptions options,
        ClipTokenizer tokenizer, long latentHeight, long latentWidth)
    {
        options.Validate();
        _steps = steps;
        _alpha = WordMaps.CrossReplaceAlpha(steps, options.CrossReplace, target, options.CrossReplacePerWord);
        _selfStart = (int)(steps * options.SelfReplace.Start);
        _selfEnd = (int)(steps * options.SelfReplace.End);
        // The reference replaces self-attention only where maps have ≤ 32² queries: for SD1.5 at
        // 512² (a 64² latent) that is every layer below full resolution; the same rule here.
        _maxSelfReplaceQueries = latentHeight / 2 * (latentWidth / 2);
        if (source.Words.Length == target.Words.Length)
        {
            var m = WordMaps.ReplacementMapper(source, target);
            var flat = new float[77 * 77];
            Buffer.BlockCopy(m, 0, flat, 0, flat.Length * sizeof(float));
            _replaceMapper = Tensor.FromValues(flat, 77, 77).DetachFromScope();
            Kind = "replace";
        }
        else
        {
            var (mapper, alphas) = SequenceAligner.RefinementMapper(Unpadded(source, tokenizer), Unpadded(target, tokenizer));
            // The table keeps the reference's −1 for new target tokens; like its Python indexing,
            // the gather reads −1 as the last position (alpha 0 discards what it reads).
            _refineMapper = Tensor.FromValues(mapper.Select(k => k < 0 ? k + 77 : k).ToArray()).DetachFromScope();
            _refineAlphas = Tensor.FromValues(alphas).DetachFromScope();
            Kind = "refine";
        }
        var eq = Enumerable.Repeat(1f, 77).ToArray();
        foreach (var (word, factor) in options.Amplify)
        {
            var tokens = WordMaps.TokensOfWord(target, word);
            if (tokens.Length == 0) throw new ArgumentException($"amplify word '{word}' is not in the target prompt '{string.Join(' ', target.Words)}'");
            foreach (int k in tokens) eq[k] = (float)factor;
        }
        _equalizer = Tensor.FromValues(eq).DetachFromScope();
        if (options.Blend is { } blend) _localBlend = new LocalBlend(source, target, blend.Source, blend.Target, options.BlendThreshold, latentHeight, latentWidth);
        _pasteOutsideBlend = options.PasteInputOutsideBlend;
    }

    /// <summary>"replace" or "refine": which cross-attention editor the prompts selected.</summary>
    public string Kind { get; }

    public LocalBlend? LocalBlend => _localBlend;

    /// <summary>Token ids with start and end but without padding (what the aligner compares).</summary>
    private static long[] Unpadded(TokenizedPrompt p, ClipTokenizer tokenizer)
    {
        int end = Array.IndexOf(p.Ids, (long)tokenizer.EosId, 1);
        return p.Ids[..(end + 1)];
    }

    public void BeginStep(int step)
    {
        if (step < 0 || step >= _steps) throw new ArgumentOutOfRangeException(nameof(step), step, $"the controller was built for {_steps} steps");
        _step = step;
    }

    public Tensor Process(AttentionSite site, Tensor probs)
    {
        if (probs.Size(0) != 2) throw new InvalidOperationException($"Prompt-to-Prompt expects a [source, target] batch, got {probs.Size(0)} rows");
        bool self = site.Kind == AttentionKind.Self;
        if (self && !(_step >= _selfStart && _step < _selfEnd)) return probs;
        if (self && site.QueryTokens > _maxSelfReplaceQueries) return probs;
        using var scope = new TensorScope();
        var baseRow = probs.Narrow(0, 0, 1);                          // (1, heads, Q, K)
        var targetRow = probs.Narrow(0, 1, 1);
        Tensor edited;
        if (self)
        {
            edited = baseRow;
        }
        else
        {
            var replaced = ReplaceCross(baseRow.Squeeze(0), targetRow) * _equalizer; // reweight
            var alpha = Tensor.FromValues(Enumerable.Range(0, 77).Select(k => _alpha[_step, k]).ToArray());
            edited = replaced * alpha + targetRow * (1.0 - alpha);
        }
        var result = Tensor.Cat([baseRow, edited], 0);
        // The reference stores the maps and then edits them in place, so LocalBlend's mask is
        // made from the edited target maps, not the ones the target prompt produced.
        if (!self) _localBlend?.Record(site, result);
        return result.MoveToOuterScope();
    }

    /// <summary>The target row's cross-attention rebuilt from the source row: (1, heads, Q, 77).</summary>
    private Tensor ReplaceCross(Tensor baseAttention, Tensor targetRow)
    {
        if (_replaceMapper is not null)
        {
            using var mapper = _replaceMapper.To(baseAttention.DType); // half-precision maps
            return Tensor.Einsum("hpw,wn->hpn", baseAttention, mapper).Unsqueeze(0);
        }
        var gathered = baseAttention.IndexSelect(2, _refineMapper!).Unsqueeze(0);   // base[:, :, mapper]
        return gathered * _refineAlphas! + targetRow * (1.0 - _refineAlphas!);
    }

    public void EndStep() => _localBlend?.EndStep();

    /// <summary>With LocalBlend and <see cref="PromptToPromptOptions.PasteInputOutsideBlend"/>: the paste
    /// of the input outside its last mask for a decoded image of <paramref name="height"/>×<paramref name="width"/>
    /// (<see cref="LocalBlend.Paste"/>); otherwise null.</summary>
    public OutsidePaste? BlendPaste(int height, int width) =>
        _pasteOutsideBlend ? _localBlend?.Paste(height, width) : null;

    /// <summary>LocalBlend after a step's jump: target = source + mask·(target − source).</summary>
    public Tensor Blend(Tensor latents) => _localBlend is null ? latents.Share() : _localBlend.Apply(latents);

    public void Dispose()
    {
        _replaceMapper?.Dispose();
        _refineMapper?.Dispose();
        _refineAlphas?.Dispose();
        _equalizer.Dispose();
        _localBlend?.Dispose();
    }
}
