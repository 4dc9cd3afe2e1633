using Icd.Blocks;
using Icd.Editing.PromptToPrompt;
using Icd.Text;
using Icd.Torch;

namespace Icd.Tests;

/// <summary>Prompt-to-Prompt pieces on hand-made inputs. Expected aligner outputs were computed
/// with a direct port of the reference seq_aligner (tests/tools notes in the closing comment).</summary>
public class PromptToPromptTests
{
    private static readonly Lazy<ClipTokenizer> Tok = new(() => ClipTokenizer.Load(Path.Combine(Paths.TinySd, "tokenizer")));

    [Theory]
    // insertion: "B 10 20 30 E" → "B 10 99 20 30 E"
    [InlineData(new long[] { 1, 10, 20, 30, 2 }, new long[] { 1, 10, 99, 20, 30, 2 }, new long[] { 0, 1, -1, 2, 3, 4, 6, 7, 8, 9, 10, 11 })]
    // deletion of 20
    [InlineData(new long[] { 1, 10, 20, 30, 40, 2 }, new long[] { 1, 10, 30, 40, 2 }, new long[] { 0, 1, 3, 4, 5, 5, 6, 7, 8, 9, 10, 11 })]
    // one token replaced by two: the aligner prefers gaps (gap 0 beats mismatch −1)
    [InlineData(new long[] { 1, 10, 20, 30, 2 }, new long[] { 1, 10, 77, 88, 30, 2 }, new long[] { 0, 1, -1, -1, 3, 4, 6, 7, 8, 9, 10, 11 })]
    public void AlignerMatchesTheReference(long[] source, long[] target, long[] expected)
    {
        var (mapper, alphas) = SequenceAligner.RefinementMapper(source, target, maxLength: 12);
        for (int k = 0; k < expected.Length; k++)
        {
            Assert.Equal(expected[k], mapper[k]);
            Assert.Equal(expected[k] < 0 ? 0f : 1f, alphas[k]);
        }
    }

    [Fact]
    public void ReplacementMapperIsIdentityOutsideChangedWords()
    {
        var src = Tok.Value.Tokenize("a red circle on a gray background");
        var trg = Tok.Value.Tokenize("a blue circle on a gray background");
        var m = WordMaps.ReplacementMapper(src, trg);
        for (int i = 0; i < 77; i++)
            for (int j = 0; j < 77; j++)
                Assert.Equal(i == j ? 1f : 0f, m[i, j]);
    }

    [Fact]
    public void ReplacementMapperSpreadsOverSplitWords()
    {
        // "cat," is two tokens (cat + ,) and "dog" one: the source tokens of the word both map to
        // the target token with weight 1/1, and later positions realign on the target's numbering.
        var src = Tok.Value.Tokenize("a cat, here");
        var trg = Tok.Value.Tokenize("a dog here");
        Assert.Equal(2, src.TokensOfWord(1).Length);
        Assert.Single(trg.TokensOfWord(1));
        var m = WordMaps.ReplacementMapper(src, trg);
        Assert.Equal(1f, m[0, 0]);
        Assert.Equal(1f, m[1, 1]);
        Assert.Equal(1f, m[2, 2]); // "cat" → "dog"
        Assert.Equal(1f, m[3, 2]); // "," → "dog" (ratio 1/1)
        // After the changed word the reference sets mapper[j, j]: positions 3, 4, … map to themselves.
        Assert.Equal(1f, m[3, 3]);
        Assert.Equal(1f, m[4, 4]);
    }

    [Fact]
    public void ReplacementNeedsEqualWordCounts()
    {
        var e = Assert.Throws<ArgumentException>(() => WordMaps.ReplacementMapper(Tok.Value.Tokenize("a cat"), Tok.Value.Tokenize("a big cat")));
        Assert.Contains("equal word counts", e.Message);
    }

    [Theory]
    [InlineData(0.3, new[] { 1, 0, 0, 0, 0 })] // METHOD C1: cross 0.3 → step 0 only
    [InlineData(0.2, new[] { 1, 0, 0, 0, 0 })]
    [InlineData(1.0, new[] { 1, 1, 1, 1, 1 })]
    [InlineData(0.6, new[] { 1, 1, 1, 0, 0 })]
    public void CrossReplaceAlphaRows(double bound, int[] rows)
    {
        var t = Tok.Value.Tokenize("a cat");
        var alpha = WordMaps.CrossReplaceAlpha(4, (0, bound), t);
        Assert.Equal(5, alpha.GetLength(0));
        for (int r = 0; r < 5; r++) Assert.Equal(rows[r], (int)alpha[r, 3]);
    }

    private static Tensor HandMadeProbs(long queries, int seed)
    {
        using var gen = new Generator((ulong)seed);
        using var logits = Tensor.Randn([2, 2, queries, 77], gen);
        return logits.Softmax(-1);
    }

    private static AttentionSite Site(AttentionKind kind, long side, AttentionPlace place = AttentionPlace.Down, int layer = 0) =>
        new(place, 1, layer, 0, kind, 0, side, side, 2);

    [Fact]
    public void CrossAttentionIsReplacedOnlyOnAlphaRows()
    {
        using var scope = new TensorScope();
        var src = Tok.Value.Tokenize("a red circle");
        var trg = Tok.Value.Tokenize("a blue circle");
        using var c = new PromptToPromptController(src, trg, 4, new PromptToPromptOptions { CrossReplace = (0, 0.3), SelfReplace = (0, 0) }, Tok.Value, 8, 8);
        Assert.Equal("replace", c.Kind);
        var probs = HandMadeProbs(16, 1);
        c.BeginStep(0);
        var step0 = c.Process(Site(AttentionKind.Cross, 4), probs);
        // Identity mapper, alpha 1: the target row becomes the source row.
        Assert.Equal(probs.Select(0, 0).ToArray<float>(), step0.Select(0, 1).ToArray<float>());
        Assert.Equal(probs.Select(0, 0).ToArray<float>(), step0.Select(0, 0).ToArray<float>());
        c.EndStep();
        c.BeginStep(1);
        var step1 = c.Process(Site(AttentionKind.Cross, 4), probs);
        Assert.Equal(probs.Select(0, 1).ToArray<float>(), step1.Select(0, 1).ToArray<float>());
    }

    [Fact]
    public void AmplifyMultipliesTheWordColumn()
    {
        using var scope = new TensorScope();
        var src = Tok.Value.Tokenize("a red circle");
        var trg = Tok.Value.Tokenize("a blue circle");
        var options = new PromptToPromptOptions { CrossReplace = (0, 1), Amplify = new Dictionary<string, double> { ["blue"] = 4 } };
        using var c = new PromptToPromptController(src, trg, 4, options, Tok.Value, 8, 8);
        var probs = HandMadeProbs(16, 2);
        c.BeginStep(0);
        var outp = c.Process(Site(AttentionKind.Cross, 4), probs);
        int blue = trg.TokensOfWord(1)[0];
        var expected = probs.Select(0, 0).Select(2, blue) * 4.0;
        Assert.True((outp.Select(0, 1).Select(2, blue) - expected).Abs().Max().Item() < 1e-6);
        int circle = trg.TokensOfWord(2)[0];
        Assert.Equal(probs.Select(0, 0).Select(2, circle).ToArray<float>(), outp.Select(0, 1).Select(2, circle).ToArray<float>());
    }

    [Fact]
    public void SelfAttentionReplacedOnStepsAndBelowFullResolution()
    {
        using var scope = new TensorScope();
        var src = Tok.Value.Tokenize("a red circle");
        var trg = Tok.Value.Tokenize("a blue circle");
        using var c = new PromptToPromptController(src, trg, 4, new PromptToPromptOptions { SelfReplace = (0, 0.6) }, Tok.Value, 8, 8);
        var lowRes = HandMadeProbs(16, 3);     // 4×4 queries: below full resolution (8×8)
        var fullRes = HandMadeProbs(64, 4);    // 8×8 queries: never replaced
        c.BeginStep(1);                          // self 0.6 → steps 0 and 1
        Assert.Equal(lowRes.Select(0, 0).ToArray<float>(), c.Process(Site(AttentionKind.Self, 4), lowRes).Select(0, 1).ToArray<float>());
        Assert.Equal(fullRes.Select(0, 1).ToArray<float>(), c.Process(Site(AttentionKind.Self, 8), fullRes).Select(0, 1).ToArray<float>());
        c.EndStep();
        c.BeginStep(2);
        Assert.Equal(lowRes.Select(0, 1).ToArray<float>(), c.Process(Site(AttentionKind.Self, 4), lowRes).Select(0, 1).ToArray<float>());
    }

    [Fact]
    public void RefineHandlesInsertions()
    {
        using var scope = new TensorScope();
        var src = Tok.Value.Tokenize("a circle");
        var trg = Tok.Value.Tokenize("a red circle");
        using var c = new PromptToPromptController(src, trg, 4, new PromptToPromptOptions { CrossReplace = (0, 1) }, Tok.Value, 8, 8);
        Assert.Equal("refine", c.Kind);
        var probs = HandMadeProbs(16, 5);
        c.BeginStep(0);
        var outp = c.Process(Site(AttentionKind.Cross, 4), probs);
        // "circle" (target position 3) copies the source's position 2; the new word "red"
        // (position 2) keeps the target's own attention (alpha 0).
        Assert.Equal(probs.Select(0, 0).Select(2, 2).ToArray<float>(), outp.Select(0, 1).Select(2, 3).ToArray<float>());
        Assert.Equal(probs.Select(0, 1).Select(2, 2).ToArray<float>(), outp.Select(0, 1).Select(2, 2).ToArray<float>());
    }

    [Fact]
    public void LocalBlendMaskFollowsTheBlendWordsAttention()
    {
        using var scope = new TensorScope();
        var src = Tok.Value.Tokenize("a red circle");
        var trg = Tok.Value.Tokenize("a blue circle");
        var options = new PromptToPromptOptions { Blend = ("red", "blue"), CrossReplace = (0, 0), SelfReplace = (0, 0) };
        using var c = new PromptToPromptController(src, trg, 4, options, Tok.Value, 8, 8);
        // 4×4 cross maps where the colour word attends only to the top-left 2×2 queries.
        var probs = Tensor.Zeros([2, 2, 16, 77]);
        int red = src.TokensOfWord(1)[0];
        foreach (int q in new[] { 0, 1, 4, 5 }) probs.Select(3, red).Select(2, q).Fill_(1);
        c.BeginStep(0);
        c.Process(Site(AttentionKind.Cross, 4), probs);
        c.Process(Site(AttentionKind.Cross, 8), Tensor.Zeros([2, 2, 64, 77])); // finer layer: ignored
        c.EndStep();
        var latents = Tensor.Cat([Tensor.Zeros([1, 1, 8, 8]), Tensor.Ones([1, 1, 8, 8])], 0);
        var blended = c.Blend(latents);
        var target = blended.Select(0, 1).Select(0, 0);
        // After 3×3 max-pool the 2×2 block grows to 3×3 cells of the 4×4 map, i.e. 6×6 latent pixels.
        Assert.Equal(1f, target.Select(0, 0).Select(0, 0).Item<float>());
        Assert.Equal(1f, target.Select(0, 5).Select(0, 5).Item<float>());
        Assert.Equal(0f, target.Select(0, 7).Select(0, 7).Item<float>());
        Assert.Equal(0f, target.Select(0, 6).Select(0, 0).Item<float>());
        Assert.All(blended.Select(0, 0).ToArray<float>(), v => Assert.Equal(0f, v)); // the source row is untouched
    }

    /// <summary>Issue 36: the reference's store holds the target maps after the P2P edit. The source
    /// word attends to the top-left 2×2 of a 4×4 map and the target prompt's own word to the
    /// bottom-right 2×2; the edit copies the source word's column into the target's, so the target
    /// mask is the top-left 3×3 cells after pooling (6×6 latent pixels) and never the bottom-right.
    /// From the pre-edit maps it would be the union of both corners, covering pixel (7, 7).</summary>
    [Theory]
    [InlineData("a red circle", "a blue circle", "red", "blue", "replace")]
    [InlineData("a circle", "a big circle", "circle", "circle", "refine")]
    public void LocalBlendMaskIsMadeFromTheEditedTargetMaps(string source, string target, string sourceWord, string targetWord, string kind)
    {
        using var scope = new TensorScope();
        var src = Tok.Value.Tokenize(source);
        var trg = Tok.Value.Tokenize(target);
        var options = new PromptToPromptOptions { Blend = (sourceWord, targetWord), CrossReplace = (0, 1), SelfReplace = (0, 0) };
        using var c = new PromptToPromptController(src, trg, 4, options, Tok.Value, 8, 8);
        Assert.Equal(kind, c.Kind);
        var probs = Tensor.Zeros([2, 2, 16, 77]);
        int srcToken = WordMaps.TokensOfWord(src, sourceWord)[0];
        int trgToken = WordMaps.TokensOfWord(trg, targetWord)[0];
        foreach (int q in new[] { 0, 1, 4, 5 }) probs.Select(0, 0).Select(2, srcToken).Select(1, q).Fill_(1);
        foreach (int q in new[] { 10, 11, 14, 15 }) probs.Select(0, 1).Select(2, trgToken).Select(1, q).Fill_(1);
        c.BeginStep(0);
        c.Process(Site(AttentionKind.Cross, 4), probs);
        c.EndStep();
        c.Blend(Tensor.Cat([Tensor.Zeros([1, 1, 8, 8]), Tensor.Ones([1, 1, 8, 8])], 0));
        var mask = c.LocalBlend!.LastMask!.Select(0, 1).Select(0, 0);
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                Assert.Equal(y < 6 && x < 6 ? 1f : 0f, mask.Select(0, y).Select(0, x).Item<float>());
    }

    [Fact]
    public void UnknownBlendAndAmplifyWordsAreErrors()
    {
        var src = Tok.Value.Tokenize("a red circle");
        var trg = Tok.Value.Tokenize("a blue circle");
        var e1 = Assert.Throws<ArgumentException>(() => new PromptToPromptController(src, trg, 4, new PromptToPromptOptions { Blend = ("green", "blue") }, Tok.Value, 8, 8));
        Assert.Contains("blend word 'green' is not in the source prompt", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => new PromptToPromptController(src, trg, 4, new PromptToPromptOptions { Amplify = new Dictionary<string, double> { ["lego"] = 2 } }, Tok.Value, 8, 8));
        Assert.Contains("amplify word 'lego'", e2.Message);
    }
}
