using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Icd.Metrics.ImageReward;

/// <summary>
/// ImageReward's prompt tokenisation: bert-base-uncased WordPiece (lower-casing, accent stripping,
/// punctuation and CJK splitting: Microsoft.ML.Tokenizers' BertTokenizer), [CLS] … [SEP], truncated
/// and padded to 35 tokens, with the 0/1 attention mask.
/// </summary>
public sealed class BlipTokenizer
{
    public const int MaxLength = 35;
    private readonly BertTokenizer _bert;

    private BlipTokenizer(BertTokenizer bert) => _bert = bert;

    /// <summary>Reads bert-base-uncased's <c>vocab.txt</c>.</summary>
    public static BlipTokenizer Load(string vocabPath)
    {
        if (!File.Exists(vocabPath))
            throw new FileNotFoundException($"ImageReward's tokenizer needs bert-base-uncased's vocabulary: {vocabPath} is missing (`icd pull metrics` fetches it)", vocabPath);
        var options = new BertOptions { LowerCaseBeforeTokenization = true, ApplyBasicTokenization = true, IndividuallyTokenizeCjk = true, RemoveNonSpacingMarks = true };
        try
        {
            return new BlipTokenizer(BertTokenizer.Create(vocabPath, options));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{vocabPath}: not a WordPiece vocabulary ({e.Message})");
        }
    }

    /// <summary>Prompts → input ids and attention mask, each (B, 35) int64.</summary>
    public (long[] Ids, long[] Mask) Encode(IReadOnlyList<string> prompts)
    {
        var ids = new long[prompts.Count * MaxLength];
        var mask = new long[ids.Length];
        for (int row = 0; row < prompts.Count; row++)
        {
            var pieces = _bert.EncodeToIds(Clean(prompts[row]), addSpecialTokens: false);
            var tokens = new List<int> { _bert.ClassificationTokenId };
            tokens.AddRange(pieces.Take(MaxLength - 2));   // transformers' truncation keeps the first pieces
            tokens.Add(_bert.SeparatorTokenId);
            for (int i = 0; i < MaxLength; i++)
            {
                ids[row * MaxLength + i] = i < tokens.Count ? tokens[i] : _bert.PaddingTokenId;
                mask[row * MaxLength + i] = i < tokens.Count ? 1 : 0;
            }
        }
        return (ids, mask);
    }

    /// <summary>transformers' BasicTokenizer._clean_text, which the library's BERT pre-tokenizer
    /// lacks (it keeps a tab inside a word): control characters, NUL and U+FFFD dropped, every
    /// whitespace character (tab, newlines, Unicode space separators) made a space.</summary>
    public static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            int cp = rune.Value;
            var category = Rune.GetUnicodeCategory(rune);
            bool whitespace = cp is ' ' or '\t' or '\n' or '\r' || category == UnicodeCategory.SpaceSeparator;
            if (whitespace) sb.Append(' ');
            else if (cp == 0 || cp == 0xFFFD || IsControl(category)) continue;
            else sb.Append(rune.ToString());
        }
        return sb.ToString();
    }

    private static bool IsControl(UnicodeCategory c) => c is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
        or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
}
