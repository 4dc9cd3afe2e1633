namespace Icd.Shapes.Tests;

public class VocabularyTests
{
    [Fact]
    public void PaletteColoursAreWellSeparatedInLab()
    {
        double closest = double.MaxValue;
        foreach (var p in Palette.All)
            foreach (var q in Palette.All)
                if (p < q) closest = Math.Min(closest, Math.Sqrt(ColourMath.DistanceSquared(ColourMath.ToLab(Palette.Rgb(p)), ColourMath.ToLab(Palette.Rgb(q)))));
        Assert.True(closest > 35, $"closest palette pair is only ΔE {closest:F1} apart");
    }

    [Fact]
    public void EveryColourIsItsOwnNearestColour()
    {
        foreach (var c in Palette.All) Assert.Equal(c, Palette.Nearest(Palette.Rgb(c)));
    }

    [Fact]
    public void WordsAreDistinctLowerCaseAndSpaceFree()
    {
        var words = Palette.All.Select(Words.Of)
            .Concat(Enum.GetValues<Shape>().Select(Words.Of))
            .Concat(Enum.GetValues<ObjectSize>().Select(Words.Of))
            .ToList();
        Assert.Equal(words.Count, words.Distinct().Count());
        Assert.All(words, w => Assert.Matches("^[a-z]+$", w));
        Assert.Equal(12, Palette.All.Length);
        Assert.Equal(8, Enum.GetValues<Shape>().Length);
    }

    [Fact]
    public void PositionPhrasesNameTheirCell()
    {
        Assert.Equal("at the top left", string.Join(' ', Words.Of(GridPosition.TopLeft)));
        Assert.Equal("on the left", string.Join(' ', Words.Of(GridPosition.Left)));
        Assert.Equal("in the center", string.Join(' ', Words.Of(GridPosition.Center)));
        Assert.Equal("at the bottom", string.Join(' ', Words.Of(GridPosition.Bottom)));
        Assert.Equal((0, 2), (GridPosition.BottomLeft.Column(), GridPosition.BottomLeft.Row()));
        Assert.Equal((2, 0), (GridPosition.TopRight.Column(), GridPosition.TopRight.Row()));
    }

    [Fact]
    public void BackgroundsAreASubsetOfThePalette()
    {
        Assert.All(Palette.Backgrounds, c => Assert.Contains(c, Palette.All));
        Assert.True(Palette.Backgrounds.Length < Palette.All.Length);
    }

    [Fact]
    public void UndefinedValuesAreRejectedByName()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Palette.Rgb((Colour)99));
        Assert.Equal("colour", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Words.Of((Shape)42));
    }

    [Fact]
    public void SplitMixIsFixedAndUnbiasedEnough()
    {
        // Reference value of SplitMix64 seeded with 0 (the published first output).
        Assert.Equal(0xE220A8397B1DCDAFUL, new SplitMix64(0).NextUInt64());
        var rng = new SplitMix64(7);
        var counts = new int[3];
        for (int i = 0; i < 30_000; i++) counts[rng.NextInt(3)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
    }
}
