using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Icd.Text;

/// <summary>A tokenized prompt: 77 ids plus, for each id, the index of the space-separated word
/// of the cleaned prompt it came from (−1 for start, end and padding). Prompt-to-Prompt maps
/// words to attention columns with it.</summary>
public sealed record TokenizedPrompt(long[] Ids, int[] WordOfToken, string[] Words, bool Truncated)
{
    /// <summary>Token positions (into <see cref="Ids"/>) of word <paramref name="wordIndex"/>.</summary>
    public int[] TokensOfWord(int wordIndex) =>
        Enumerable.Range(0, WordOfToken.Length).Where(k => WordOfToken[k] == wordIndex).ToArray();
}

/// <summary>
/// CLIP's byte-level BPE tokenizer (openai/CLIP simple_tokenizer, as HF CLIPTokenizer): NFC,
/// whitespace collapsed, lower-cased; split by CLIP's pattern; bytes mapped to printable
/// characters; BPE merges by rank; <c>&lt;|startoftext|&gt;</c> … <c>&lt;|endoftext|&gt;</c>,
/// truncated to 75 content tokens and padded with <c>&lt;|endoftext|&gt;</c> to 77.
/// </summary>
public sealed class ClipTokenizer
{
    public const int MaxLength = 77;
    private const string Bos = "<|startoftext|>";
    private const string Eos = "<|endoftext|>";

    // CLIP's pre-tokenizer; \p{N} is one digit at a time.
    private static readonly Regex Pattern = new(
        @"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+",
        RegexOptions.IgnoreCase | RegexOptions.Compiled | RegexOptions.CultureInvariant);

    private static readonly Regex Whitespace = new(@"\s+", RegexOptions.Compiled);

    private static readonly string[] ByteToChar = BuildByteTable();

    /// <summary>The printable symbol of each byte (GPT-2's bytes_to_unicode), for BPE training.</summary>
    public static IReadOnlyList<string> ByteSymbols => ByteToChar;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    public ClipTokenizer(Dictionary<string, int> vocab, IEnumerable<(string, string)> merges, string padToken = Eos)
    {
        _vocab = vocab;
        _ranks = new();
        int rank = 0;
        foreach (var m in merges) _ranks.TryAdd(m, rank++);
        BosId = Lookup(Bos);
        EosId = Lookup(Eos);
        PadId = Lookup(padToken);
        // transformers registers the pad token as an added special token: SDXL's tokenizer_2 pads
        // with "!", so every "!" in a prompt becomes the pad id, not BPE (reference README 4.7).
        if (padToken is not (Bos or Eos)) _specialPad = padToken;
    }

    private readonly string? _specialPad;

    public int BosId { get; }
    public int EosId { get; }
    public int PadId { get; }
    public int VocabSize => _vocab.Count;

    /// <summary>Loads <c>vocab.json</c> and <c>merges.txt</c> (and the pad token from
    /// <c>special_tokens_map.json</c>) from a diffusers <c>tokenizer/</c> folder.</summary>
    public static ClipTokenizer Load(string directory)
    {
        string vocabPath = Path.Combine(directory, "vocab.json");
        string mergesPath = Path.Combine(directory, "merges.txt");
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"tokenizer vocabulary not found: {vocabPath}", vocabPath);
        if (!File.Exists(mergesPath)) throw new FileNotFoundException($"tokenizer merges not found: {mergesPath}", mergesPath);
        Dictionary<string, int> vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(vocabPath))
                ?? throw new InvalidDataException($"{vocabPath}: empty vocabulary");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{vocabPath}: not a JSON object of token → id ({e.Message})");
        }
        // CLIP uses the first 49152 − 256 − 2 = 48894 merges after the #version line.
        const int MergeCount = 49152 - 256 - 2;
        var merges = new List<(string, string)>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(mergesPath))
        {
            lineNumber++;
            if (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)) continue;
            if (merges.Count >= MergeCount) break;
            if (line.Length == 0) continue;
            var parts = line.Split(' ');
            if (parts.Length != 2) throw new InvalidDataException($"{mergesPath}:{lineNumber}: expected two symbols, got '{line}'");
            merges.Add((parts[0], parts[1]));
        }
        return new ClipTokenizer(vocab, merges, ReadPadToken(directory) ?? Eos);
    }

    private static string? ReadPadToken(string directory)
    {
        string path = Path.Combine(directory, "special_tokens_map.json");
        if (!File.Exists(path)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        if (!doc.RootElement.TryGetProperty("pad_token", out var pad)) return null;
        // Either "<|endoftext|>" or {"content": "<|endoftext|>", ...}.
        return pad.ValueKind == JsonValueKind.String ? pad.GetString()
            : pad.TryGetProperty("content", out var c) ? c.GetString() : null;
    }

    /// <summary>Text clean-up: NFC, whitespace runs → one space, trimmed, lower-cased.</summary>
    public static string Clean(string text) =>
        Whitespace.Replace(text.Normalize(NormalizationForm.FormC), " ").Trim().ToLowerInvariant();

    public TokenizedPrompt Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string cleaned = Clean(text);
        var words = cleaned.Length == 0 ? [] : cleaned.Split(' ');
        var ids = new List<long> { BosId };
        var wordOf = new List<int> { -1 };
        // The pattern never matches across a space, so tokenizing word by word equals
        // tokenizing the whole text, and tells which word each token belongs to.
        for (int w = 0; w < words.Length; w++)
        {
            var pieces = _specialPad is null ? [words[w]] : words[w].Split(_specialPad);
            for (int p = 0; p < pieces.Length; p++)
            {
                if (p > 0)
                {
                    ids.Add(PadId);
                    wordOf.Add(w);
                }
                foreach (Match m in Pattern.Matches(pieces[p]))
                {
                    foreach (int id in Bpe(m.Value))
                    {
                        ids.Add(id);
                        wordOf.Add(w);
                    }
                }
            }
        }
        bool truncated = ids.Count > MaxLength - 1;
        if (truncated)
        {
            ids.RemoveRange(MaxLength - 1, ids.Count - (MaxLength - 1));
            wordOf.RemoveRange(MaxLength - 1, wordOf.Count - (MaxLength - 1));
        }
        ids.Add(EosId);
        wordOf.Add(-1);
        while (ids.Count < MaxLength)
        {
            ids.Add(PadId);
            wordOf.Add(-1);
        }
        return new TokenizedPrompt(ids.ToArray(), wordOf.ToArray(), words, truncated);
    }

    /// <summary>Token ids of a batch of prompts, [B, 77] row-major.</summary>
    public long[] Encode(IReadOnlyList<string> prompts) => prompts.SelectMany(p => Tokenize(p).Ids).ToArray();

    /// <summary>The text of one id (BPE symbols back to UTF-8, end-of-word marks as spaces).</summary>
    public string Decode(IEnumerable<long> ids)
    {
        var inverse = _inverse ??= _vocab.ToDictionary(kv => kv.Value, kv => kv.Key);
        var charToByte = _charToByte ??= Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);
        var bytes = new List<byte>();
        foreach (long id in ids)
        {
            if (!inverse.TryGetValue((int)id, out var token)) continue;
            if (token is Bos or Eos) continue;
            string symbols = token.Replace("</w>", " ", StringComparison.Ordinal);
            foreach (var rune in symbols.EnumerateRunes())
            {
                string s = rune.ToString();
                if (charToByte.TryGetValue(s, out byte b)) bytes.Add(b);
                else bytes.AddRange(Encoding.UTF8.GetBytes(s));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray()).Trim();
    }

    private Dictionary<int, string>? _inverse;
    private Dictionary<string, byte>? _charToByte;

    private int Lookup(string token) =>
        _vocab.TryGetValue(token, out int id) ? id : throw new InvalidDataException($"tokenizer vocabulary lacks '{token}'");

    private int[] Bpe(string piece)
    {
        if (piece is Bos) return [BosId];
        if (piece is Eos) return [EosId];
        if (_cache.TryGetValue(piece, out var cached)) return cached;

        var symbols = new List<string>();
        foreach (byte b in Encoding.UTF8.GetBytes(piece)) symbols.Add(ByteToChar[b]);
        symbols[^1] += "</w>";
        while (symbols.Count > 1)
        {
            int bestRank = int.MaxValue, best = -1;
            for (int k = 0; k + 1 < symbols.Count; k++)
            {
                if (_ranks.TryGetValue((symbols[k], symbols[k + 1]), out int r) && r < bestRank)
                {
                    bestRank = r;
                    best = k;
                }
            }
            if (best < 0) break;
            // Merge every occurrence of the best pair, left to right (as the reference does).
            var (first, second) = (symbols[best], symbols[best + 1]);
            var merged = new List<string>(symbols.Count);
            for (int k = 0; k < symbols.Count; k++)
            {
                if (k + 1 < symbols.Count && symbols[k] == first && symbols[k + 1] == second)
                {
                    merged.Add(first + second);
                    k++;
                }
                else
                {
                    merged.Add(symbols[k]);
                }
            }
            symbols = merged;
        }
        var ids = symbols.Select(s => _vocab.TryGetValue(s, out int id) ? id
            : throw new InvalidDataException($"tokenizer: symbol '{s}' of '{piece}' is not in the vocabulary")).ToArray();
        _cache[piece] = ids;
        return ids;
    }

    /// <summary>GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to 256+n.</summary>
    private static string[] BuildByteTable()
    {
        var printable = new List<int>();
        for (int b = '!'; b <= '~'; b++) printable.Add(b);
        for (int b = 0xA1; b <= 0xAC; b++) printable.Add(b);
        for (int b = 0xAE; b <= 0xFF; b++) printable.Add(b);
        var table = new string[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
            table[b] = printable.Contains(b) ? ((char)b).ToString() : ((char)(256 + n++)).ToString();
        return table;
    }
}
