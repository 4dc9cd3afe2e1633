using Icd.Checkpoints;
using Icd.Imaging;
using Icd.Shapes;
using Icd.Torch;
using Icd.Training;

namespace Icd.Tests;

/// <summary>The VAE's object-weighted squared error: the loss by hand, the coverage the Shapes source
/// reports checked against the renderer, and the stage's wiring and refusals.</summary>
public class ObjectWeightedAutoencoderTests
{
    [Fact]
    public void PixelWeightedMseByHand()
    {
        using var scope = new TensorScope();
        // One 2-channel 1×2 image. Squared errors: channel 0 (1, 0), channel 1 (4, 9); pixel weights (1, 3).
        var prediction = Tensor.FromValues(new float[] { 1, 0, 2, 3 }, 1, 2, 1, 2);
        var target = Tensor.FromValues(new float[] { 0, 0, 0, 0 }, 1, 2, 1, 2);
        var weights = Tensor.FromValues(new float[] { 1, 3 }, 1, 1, 1, 2);
        // Σ w·d² = 1·1 + 3·0 + 1·4 + 3·9 = 32 over 4 elements; mean w = 2 → 8 / 2 = 4.
        Assert.Equal(4.0, Losses.PixelWeightedMse(prediction, target, weights).Item(), 6);
        // Equal weights give the plain mean: (1 + 0 + 4 + 9) / 4.
        var equal = Tensor.FromValues(new float[] { 7, 7 }, 1, 1, 1, 2);
        Assert.Equal(3.5, Losses.PixelWeightedMse(prediction, target, equal).Item(), 6);
        var e = Assert.Throws<ArgumentException>(() => Losses.PixelWeightedMse(prediction, target, Tensor.FromValues(new float[] { 1, 1, 1, 1 }, 1, 2, 1, 2)));
        Assert.Contains("[1, 1, 1, 2]", e.Message);
    }

    /// <summary>Where the coverage is 1 the pixel is the object's whatever the background; where it is 0
    /// it is background, so it changes with the background's colour.</summary>
    [Fact]
    public void ShapesCoverageMarksExactlyTheObjectPixels()
    {
        var settings = SceneSettings.Default with { ImageSize = 32 };
        var source = new ShapesSource(5, 8, settings);
        var set = new TrainingSet(5, settings);
        for (long index = 0; index < 4; index++)
        {
            var scene = set.SceneAt(index);
            var coverage = source.ObjectCoverage(index);
            Assert.Equal(32 * 32, coverage.Length);
            var other = Enum.GetValues<Colour>().First(c => c != scene.Background && scene.Objects.All(o => o.Colour != c));
            var a = source.Get(index).Image;
            Assert.Equal(a.Pixels, ShapesRenderer.Render(scene, 32).Pixels);
            var b = ShapesRenderer.Render(scene.WithBackground(other), 32);
            int full = 0, empty = 0;
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                {
                    float c = coverage[y * 32 + x];
                    if (c >= 1) { full++; Assert.Equal(a[x, y], b[x, y]); }
                    if (c == 0) { empty++; Assert.NotEqual(a[x, y], b[x, y]); }
                }
            Assert.True(full > 0 && empty > 0, $"scene {index}: {full} covered and {empty} uncovered pixels");
        }
    }

    [Fact]
    public void TheStageWeighsTheItemsItTrainsOnAndRefusesWhatItCannotWeigh()
    {
        using var net = StableDiffusionLoader.Load(Paths.TinySd);
        var options = new RunOptions { Steps = 1, BatchSize = 3, LearningRate = 1e-3, CheckpointEvery = 1, LogEvery = 1 };
        var source = new RecordingSource(32 * 32);
        using (var stage = new AutoencoderStage(net.Vae, source, 32, options, objectWeight: 10))
        {
            var logged = stage.Step(0);
            Assert.True(double.IsFinite(logged["loss"]));
        }
        Assert.Equal(source.ImagesAsked, source.CoverageAsked); // the coverage of the same items, in order
        Assert.Equal(3, source.CoverageAsked.Count);

        var wrong = new RecordingSource(10);
        using (var stage = new AutoencoderStage(net.Vae, wrong, 32, options, objectWeight: 1))
            Assert.Contains("gave 10 values for a 32×32 image", Assert.Throws<InvalidOperationException>(() => stage.Step(0)).Message);

        var plain = new PlainSource();
        var e = Assert.Throws<ArgumentException>(() => new AutoencoderStage(net.Vae, plain, 32, options, objectWeight: 1));
        Assert.Contains(nameof(IObjectCoverageSource), e.Message);
        Assert.Contains(nameof(PlainSource), e.Message);
        foreach (var bad in new[] { -1, double.NaN, double.PositiveInfinity })
            Assert.Equal("objectWeight", Assert.Throws<ArgumentOutOfRangeException>(() => new AutoencoderStage(net.Vae, source, 32, options, objectWeight: bad)).ParamName);
        using (new AutoencoderStage(net.Vae, plain, 32, options)) { } // weight 0: any source
    }

    private sealed class RecordingSource(int coverageLength) : IObjectCoverageSource
    {
        public List<long> ImagesAsked { get; } = [];
        public List<long> CoverageAsked { get; } = [];
        public long Count => 12;

        public (RgbImage Image, string Caption) Get(long index)
        {
            ImagesAsked.Add(index);
            return (RgbImage.Blank(32, 32, (byte)(20 * index), 40, 60), "item");
        }

        public float[] ObjectCoverage(long index)
        {
            CoverageAsked.Add(index);
            var c = new float[coverageLength];
            c[index % coverageLength] = 1;
            return c;
        }
    }

    private sealed class PlainSource : IImageCaptionSource
    {
        public long Count => 1;
        public (RgbImage Image, string Caption) Get(long index) => (RgbImage.Blank(32, 32, 10, 20, 30), "plain");
    }
}
