using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Icd.Imaging;
using Icd.Text;

namespace Icd.Shapes;

/// <summary>
/// Learns a byte-level BPE vocabulary in CLIP's file format (vocab.json + merges.txt) from a text
/// corpus: words are pre-tokenized with CLIP's pattern, bytes mapped with the same table, and the
/// most frequent adjacent pair merged until every word is one symbol (or a merge budget is spent).
/// The result loads with <see cref="ClipTokenizer"/> like any CLIP tokenizer.
/// </summary>
public static class BpeTrainer
{
    private static readonly Regex Pattern = new(@"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.Compiled);

    public static void Train(IEnumerable<string> corpus, string directory, int maxMerges = 5000)
    {
        var byteChars = ClipTokenizer.ByteSymbols;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in corpus)
            foreach (Match m in Pattern.Matches(ClipTokenizer.Clean(text)))
                counts[m.Value] = counts.GetValueOrDefault(m.Value) + 1;
        var words = counts.Keys.Order(StringComparer.Ordinal).Select(w =>
        {
            var symbols = Encoding.UTF8.GetBytes(w).Select(b => byteChars[b]).ToList();
            symbols[^1] += "</w>";
            return symbols;
        }).ToList();
        var frequency = counts.Keys.Order(StringComparer.Ordinal).Select(w => counts[w]).ToList();
        var merges = new List<(string, string)>();
        while (merges.Count < maxMerges)
        {
            var pairs = new Dictionary<(string, string), int>();
            for (int i = 0; i < words.Count; i++)
                for (int k = 0; k + 1 < words[i].Count; k++)
                    pairs[(words[i][k], words[i][k + 1])] = pairs.GetValueOrDefault((words[i][k], words[i][k + 1])) + frequency[i];
            if (pairs.Count == 0) break;
            // Most frequent pair; ties broken by the pair's text so the result is deterministic.
            var best = pairs.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1 + " " + p.Key.Item2, StringComparer.Ordinal).First().Key;
            merges.Add(best);
            foreach (var w in words)
            {
                for (int k = 0; k + 1 < w.Count; k++)
                {
                    if (w[k] == best.Item1 && w[k + 1] == best.Item2)
                    {
                        w[k] += w[k + 1];
                        w.RemoveAt(k + 1);
                    }
                }
            }
        }
        // CLIP's id order: the 256 byte symbols, the same with </w>, the merges, then the specials.
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in byteChars) vocab.TryAdd(c, vocab.Count);
        foreach (var c in byteChars) vocab.TryAdd(c + "</w>", vocab.Count);
        foreach (var (a, b) in merges) vocab.TryAdd(a + b, vocab.Count);
        vocab.TryAdd("<|startoftext|>", vocab.Count);
        vocab.TryAdd("<|endoftext|>", vocab.Count);
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, "vocab.json"), JsonSerializer.Serialize(vocab));
        AtomicFile.WriteAllText(Path.Combine(directory, "merges.txt"), string.Concat(new[] { "#version: 0.2 (icd Shapes BPE)" }.Concat(merges.Select(m => $"{m.Item1} {m.Item2}")).Select(line => line + "\n")));
        AtomicFile.WriteAllText(Path.Combine(directory, "special_tokens_map.json"),
            """{"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>"}""");
        AtomicFile.WriteAllText(Path.Combine(directory, "tokenizer_config.json"),
            """{"tokenizer_class": "CLIPTokenizer", "model_max_length": 77, "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}""");
    }
}
