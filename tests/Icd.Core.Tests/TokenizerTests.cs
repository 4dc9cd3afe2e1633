using Icd.Text;

namespace Icd.Tests;

public class TokenizerTests
{
    private static readonly Lazy<ClipTokenizer> Tok = new(() => ClipTokenizer.Load(Path.Combine(Paths.TinySd, "tokenizer")));

    [Fact]
    public void MapsTokensToWords()
    {
        var t = Tok.Value.Tokenize("A photo of a CAT, sitting");
        Assert.Equal(new[] { "a", "photo", "of", "a", "cat,", "sitting" }, t.Words);
        Assert.Equal(49406, t.Ids[0]);
        Assert.Equal(-1, t.WordOfToken[0]);
        // "cat," is two tokens (cat + ,), both belonging to word 4.
        var cat = t.TokensOfWord(4);
        Assert.Equal(2, cat.Length);
        Assert.Equal("cat", Tok.Value.Decode([t.Ids[cat[0]]]));
        Assert.Equal(",", Tok.Value.Decode([t.Ids[cat[1]]]));
        Assert.Equal(new[] { 7 }, t.TokensOfWord(5));
        Assert.Equal(49407, t.Ids[8]);
        Assert.All(t.WordOfToken.Skip(8), w => Assert.Equal(-1, w));
        Assert.False(t.Truncated);
    }

    [Fact]
    public void FlagsTruncation()
    {
        var t = Tok.Value.Tokenize(string.Join(" ", Enumerable.Repeat("horse", 100)));
        Assert.True(t.Truncated);
        Assert.Equal(77, t.Ids.Length);
        Assert.Equal(49407, t.Ids[76]);
    }

    [Fact]
    public void DecodesBackToCleanText()
    {
        var t = Tok.Value.Tokenize("  Café   au lait 🚀 ");
        Assert.Equal("café au lait 🚀", Tok.Value.Decode(t.Ids));
    }

    [Fact]
    public void MissingFilesNameThePath()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.Load("/nonexistent/tokenizer"));
        Assert.Contains("/nonexistent/tokenizer/vocab.json", e.Message);
    }
}
