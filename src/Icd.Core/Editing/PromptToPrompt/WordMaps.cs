using Icd.Text;

namespace Icd.Editing.PromptToPrompt;

/// <summary>Word ↔ token bookkeeping of Prompt-to-Prompt (ptp_utils.get_word_inds and
/// seq_aligner.get_replacement_mapper), on <see cref="TokenizedPrompt"/>'s word map.</summary>
public static class WordMaps
{
    /// <summary>Token positions (into the 77) of every occurrence of <paramref name="word"/>.</summary>
    public static int[] TokensOfWord(TokenizedPrompt prompt, string word)
    {
        string w = ClipTokenizer.Clean(word);
        return Enumerable.Range(0, prompt.Words.Length).Where(i => prompt.Words[i] == w)
            .SelectMany(prompt.TokensOfWord).Order().ToArray();
    }

    /// <summary>
    /// AttentionReplace's 77×77 mapper for prompts with equal word counts: identity except for the
    /// words that differ, where source tokens map to target tokens (1 when token counts match,
    /// else 1/|target tokens| to each). Row = source position, column = target position.
    /// </summary>
    public static float[,] ReplacementMapper(TokenizedPrompt source, TokenizedPrompt target, int maxLength = 77)
    {
        if (source.Words.Length != target.Words.Length)
            throw new ArgumentException($"word-replace needs equal word counts: '{string.Join(' ', source.Words)}' has {source.Words.Length}, '{string.Join(' ', target.Words)}' has {target.Words.Length}");
        var changed = Enumerable.Range(0, target.Words.Length).Where(i => source.Words[i] != target.Words[i]).ToList();
        var sourceInds = changed.Select(source.TokensOfWord).ToList();
        var targetInds = changed.Select(target.TokensOfWord).ToList();
        var mapper = new float[maxLength, maxLength];
        int i = 0, j = 0, cur = 0;
        while (i < maxLength && j < maxLength)
        {
            if (cur < sourceInds.Count && sourceInds[cur].Length > 0 && sourceInds[cur][0] == i)
            {
                var s = sourceInds[cur];
                var t = targetInds[cur];
                if (s.Length == t.Length)
                {
                    for (int k = 0; k < s.Length; k++) mapper[s[k], t[k]] = 1;
                }
                else
                {
                    float ratio = 1f / t.Length;
                    foreach (int a in s)
                        foreach (int b in t) mapper[a, b] = ratio;
                }
                cur++;
                i += s.Length;
                j += t.Length;
            }
            else if (cur < sourceInds.Count)
            {
                mapper[i++, j++] = 1;
            }
            else
            {
                // After the last changed word the reference maps j to j (not i to j): positions
                // realign on the target's numbering, which also handles a longer target word.
                mapper[j, j] = 1;
                i++;
                j++;
            }
        }
        return mapper;
    }

    /// <summary>
    /// The cross-attention replacement alpha of P2P (get_time_words_attention_alpha): a table of
    /// (steps + 1) rows × 77 tokens; rows [⌊a·(steps+1)⌋, ⌊b·(steps+1)⌋) are 1. Per-word bounds
    /// override the default for the target tokens of that word.
    /// </summary>
    public static float[,] CrossReplaceAlpha(int steps, (double Start, double End) bounds, TokenizedPrompt target,
        IReadOnlyDictionary<string, (double Start, double End)>? perWord = null, int maxLength = 77)
    {
        int rows = steps + 1;
        var alpha = new float[rows, maxLength];
        void Apply((double Start, double End) b, IEnumerable<int> tokens)
        {
            int start = (int)(b.Start * rows), end = (int)(b.End * rows);
            foreach (int k in tokens)
                for (int r = 0; r < rows; r++) alpha[r, k] = r >= start && r < end ? 1 : 0;
        }
        Apply(bounds, Enumerable.Range(0, maxLength));
        if (perWord is not null)
        {
            foreach (var (word, b) in perWord)
            {
                var tokens = TokensOfWord(target, word);
                if (tokens.Length > 0) Apply(b, tokens);
            }
        }
        return alpha;
    }
}
