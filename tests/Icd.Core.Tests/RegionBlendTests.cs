using Icd.Editing;
using Icd.Imaging;
using Icd.Pipelines;
using Icd.Sampling;
using Icd.Torch;

namespace Icd.Tests;

/// <summary>Editing inside a user's mask (<see cref="RegionBlend"/>): the mask on the latent grid,
/// the blend after each step and the partly fresh start, against hand-computed values.</summary>
public sealed class RegionBlendTests
{
    private static RgbImage Mask(int size, params (int X, int Y)[] white) =>
        RegionBlend.MaskImage(size, size, p => white.Contains((p % size, p / size)));

    private static RegionBlend Region(RgbImage mask, int latent) =>
        RegionBlend.For(mask, mask, m => ImageTensors.ToTensor(m, m.Width, m.Height, ResizeMode.CenterCrop), latent, latent)!;

    [Fact]
    public void OneWhitePixelMarksItsLatentCellAndTheCellsAround()
    {
        using var scope = new TensorScope();
        // 32×32 pixels on an 8×8 latent grid: 4×4 pixels per cell. Pixel (13, 6) is in cell row 1,
        // column 3; grown by one cell, rows 0–2 and columns 2–4 are inside: 9 cells.
        using var region = Region(Mask(32, (13, 6)), 8);
        var cells = region.Mask.ToArray<float>();
        Assert.Equal(9, region.InsideCells);
        for (int row = 0; row < 8; row++)
            for (int col = 0; col < 8; col++)
                Assert.Equal(row <= 2 && col is >= 2 and <= 4 ? 1f : 0f, cells[row * 8 + col]);
    }

    [Fact]
    public void TheTargetRowKeepsTheSourceOutsideTheRegion()
    {
        using var scope = new TensorScope();
        using var region = Region(Mask(32, (0, 0)), 8);   // cells (0,0), (0,1), (1,0), (1,1)
        var source = Tensor.FromValues(Enumerable.Range(0, 64).Select(i => (float)i).ToArray(), 1, 1, 8, 8);
        var target = Tensor.FromValues(Enumerable.Repeat(-1f, 64).ToArray(), 1, 1, 8, 8);
        var blended = region.Apply(Tensor.Cat([source, target], 0)).ToArray<float>();
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(i, blended[i]);                                     // the source row is untouched
            bool inside = i / 8 <= 1 && i % 8 <= 1;
            Assert.Equal(inside ? -1f : i, blended[64 + i]);
        }
    }

    [Fact]
    public void TheStartMixesFreshNoiseInsideOnly()
    {
        using var scope = new TensorScope();
        using var region = Region(Mask(32, (0, 0)), 8);
        var inverted = Tensor.FromValues(Enumerable.Repeat(2f, 64).ToArray(), 1, 1, 8, 8);
        Assert.Equal(inverted.ToArray<float>(), region.Start(inverted, 0, 5).ToArray<float>());
        using var generator = new Generator(5);
        var fresh = Tensor.Randn([1, 1, 8, 8], generator).ToArray<float>();
        var half = region.Start(inverted, 0.5, 5).ToArray<float>();
        var all = region.Start(inverted, 1, 5).ToArray<float>();
        for (int i = 0; i < 64; i++)
        {
            bool inside = i / 8 <= 1 && i % 8 <= 1;
            Assert.Equal(inside ? Math.Sqrt(0.5) * 2 + Math.Sqrt(0.5) * fresh[i] : 2, half[i], 5);
            Assert.Equal(inside ? fresh[i] : 2, all[i], 5);
        }
    }

    [Fact]
    public void ThePasteFadesFromTheRegionToTheInputOverOneLatentCell()
    {
        using var scope = new TensorScope();
        // 4 px per latent cell: the weight is (5 − d)/5 at chessboard distance d ≤ 4 from the painted
        // pixel (13, 6) and 0 beyond, so with edited = 200 and kept = 100 a pixel is 100 + 100·(5 − d)/5.
        using var region = Region(Mask(32, (13, 6)), 8);
        var pasted = region.Outside.Paste(RgbImage.Blank(32, 32, 200, 200, 200), RgbImage.Blank(32, 32, 100, 100, 100));
        foreach (var (x, y, value) in new[] { (13, 6, 200), (14, 7, 180), (15, 6, 160), (10, 3, 140), (17, 10, 120), (18, 6, 100), (13, 0, 100), (31, 31, 100) })
        {
            Assert.Equal(value, pasted.Pixels[3 * (y * 32 + x)]);
            Assert.Equal(value, pasted.Pixels[3 * (y * 32 + x) + 2]);
        }
        Assert.Equal(0.6f, region.Outside.Weight(15, 6), 6);
        var size = Assert.Throws<ArgumentException>(() => region.Outside.Paste(RgbImage.Blank(16, 16), RgbImage.Blank(32, 32)));
        Assert.Contains("16×16 but the paste region is 32×32", size.Message);
    }

    [Fact]
    public void ALatentMaskPastesWholeCellsAndFadesOverOneCell()
    {
        using var scope = new TensorScope();
        // Cell (row 1, column 3) of an 8×8 grid covers pixels x 12–15, y 4–7 of a 32×32 image; the
        // weight is (5 − d)/5 at chessboard distance d ≤ 4 from that block.
        var cells = new float[64];
        cells[1 * 8 + 3] = 1;
        var paste = OutsidePaste.FromLatentMask(Tensor.FromValues(cells, 1, 1, 8, 8), 32, 32);
        foreach (var (x, y, weight) in new[] { (12, 4, 1f), (15, 7, 1f), (16, 7, 0.8f), (11, 2, 0.6f), (19, 11, 0.2f), (20, 5, 0f), (13, 12, 0f) })
            Assert.Equal(weight, paste.Weight(x, y), 6);
        Assert.Throws<ArgumentException>(() => OutsidePaste.FromLatentMask(Tensor.FromValues(cells, 1, 1, 8, 8), 30, 30));
    }

    [Fact]
    public void BadMasksGetClearErrors()
    {
        using var scope = new TensorScope();
        var empty = Assert.Throws<ArgumentException>(() => Region(Mask(32), 8));
        Assert.Contains("selects no pixel", empty.Message);
        var size = Assert.Throws<ArgumentException>(() =>
            RegionBlend.For(RgbImage.Blank(32, 32), RgbImage.Blank(16, 16), m => ImageTensors.ToTensor(m, 32, 32, ResizeMode.CenterCrop), 8, 8));
        Assert.Contains("16×16 but the image is 32×32", size.Message);
        var grid = Assert.Throws<ArgumentException>(() => Region(Mask(32, (0, 0)), 5));
        Assert.Contains("latent grid", grid.Message);
        using var region = Region(Mask(32, (0, 0)), 8);
        using var latent = Tensor.Zeros([1, 1, 8, 8]);
        Assert.Throws<ArgumentOutOfRangeException>(() => region.Start(latent, 1.5, 1));
    }
}
