using Icd.Imaging;
using Icd.Training;

namespace Icd.Shapes;

/// <summary><see cref="Count"/> consecutive scenes of the Shapes training stream (from <c>offset</c>) as a data source.</summary>
public sealed class ShapesSource(ulong seed, long count, SceneSettings? settings = null, long offset = 0) : ICounterfactualSource, IObjectCoverageSource, IGroundingSource
{
    private readonly TrainingSet _set = new(seed, settings);

    public long Count { get; } = count;

    /// <summary>The <paramref name="count"/> scenes that follow a training pool of <paramref name="poolSize"/>:
    /// same distribution, never trained on (validation batches).</summary>
    public static ShapesSource AfterPool(ulong seed, long poolSize, long count) => new(seed, count, offset: poolSize);

    public (RgbImage Image, string Caption) Get(long index)
    {
        var example = _set.Get(offset + index % Count);
        return (example.Image, example.Caption.Text);
    }

    /// <summary>The caption without rendering the image (cached latents ask for it on every batch).</summary>
    public string Caption(long index) => CaptionWriter.Describe(SceneOf(index)).Text;

    /// <summary>The scene with its objects recoloured (<see cref="Recolouring"/>); its caption is unchanged.</summary>
    public RgbImage Counterfactual(long index, ulong seed) =>
        ShapesRenderer.Render(Recolouring.Recolour(SceneOf(index), seed), _set.Settings.ImageSize);

    /// <summary>The summed coverage of the scene's objects (see <see cref="ShapesRenderer.Coverage"/>).</summary>
    public float[] ObjectCoverage(long index)
    {
        int size = _set.Settings.ImageSize;
        var sum = new float[size * size];
        foreach (var obj in SceneOf(index).Objects)
        {
            var c = ShapesRenderer.Coverage(obj, size).Values;
            for (int i = 0; i < sum.Length; i++) sum[i] += c[i];
        }
        return sum;
    }

    /// <summary>Each object's size, colour and shape words with the object's coverage, and the
    /// background's colour word with what no object covers.</summary>
    public IReadOnlyList<WordRegion> Grounding(long index)
    {
        var scene = SceneOf(index);
        var caption = CaptionWriter.Describe(scene);
        int size = _set.Settings.ImageSize;
        var regions = new List<WordRegion>();
        var background = Enumerable.Repeat(1f, size * size).ToArray();
        for (int o = 0; o < scene.Objects.Count; o++)
        {
            var coverage = ShapesRenderer.Coverage(scene.Objects[o], size).Values;
            for (int i = 0; i < background.Length; i++) background[i] = Math.Max(0, background[i] - coverage[i]);
            foreach (var kind in (ReadOnlySpan<WordKind>)[WordKind.Size, WordKind.Colour, WordKind.Shape])
                if (caption.IndexOf(kind, o) is int word and >= 0) regions.Add(new WordRegion(word, coverage));
        }
        if (caption.IndexOf(WordKind.Background) is int backgroundWord and >= 0) regions.Add(new WordRegion(backgroundWord, background));
        return regions;
    }

    private Scene SceneOf(long index) => _set.SceneAt(offset + index % Count);
}
