namespace Icd.Editing.PromptToPrompt;

/// <summary>
/// Prompt-to-Prompt's global sequence aligner (seq_aligner.py): Needleman–Wunsch over token ids
/// with gap 0, match 1, mismatch −1, ties broken left, then up, then diagonal, as the reference
/// does. Used by AttentionRefine when source and target prompts differ in word count.
/// </summary>
public static class SequenceAligner
{
    /// <summary>For each target token position (0..maxLength−1): the source position it copies
    /// attention from, or −1 for a new token (alpha 0), as the reference's table holds it.</summary>
    public static (long[] Mapper, float[] Alphas) RefinementMapper(IReadOnlyList<long> source, IReadOnlyList<long> target, int maxLength = 77)
    {
        int n = source.Count, m = target.Count;
        var score = new int[n + 1, m + 1];
        var trace = new int[n + 1, m + 1];
        for (int j = 1; j <= m; j++) trace[0, j] = 1;
        for (int i = 1; i <= n; i++) trace[i, 0] = 2;
        trace[0, 0] = 4;
        for (int i = 1; i <= n; i++)
        {
            for (int j = 1; j <= m; j++)
            {
                int left = score[i, j - 1], up = score[i - 1, j];
                int diag = score[i - 1, j - 1] + (source[i - 1] == target[j - 1] ? 1 : -1);
                int best = Math.Max(left, Math.Max(up, diag));
                score[i, j] = best;
                trace[i, j] = best == left ? 1 : best == up ? 2 : 3;
            }
        }
        // Walk back; record (target position, source position or −1) for diagonal and left moves.
        var pairs = new List<(int Target, int Source)>();
        for (int i = n, j = m; i > 0 || j > 0;)
        {
            switch (trace[i, j])
            {
                case 3: i--; j--; pairs.Add((j, i)); break;
                case 1: j--; pairs.Add((j, -1)); break;
                case 2: i--; break;
                default: i = j = 0; break;
            }
        }
        pairs.Reverse();
        var mapper = new long[maxLength];
        var alphas = Enumerable.Repeat(1f, maxLength).ToArray();
        for (int k = 0; k < pairs.Count && k < maxLength; k++)
        {
            mapper[k] = pairs[k].Source;
            alphas[k] = pairs[k].Source == -1 ? 0f : 1f;
        }
        // Padding positions beyond the target map to themselves (shifted past the target tokens).
        for (int k = pairs.Count; k < maxLength; k++) mapper[k] = m + (k - pairs.Count);
        return (mapper, alphas);
    }
}
