using Icd.Imaging;

namespace Icd.Shapes;

/// <summary>One training pair: a scene from the training stream, its render and its caption.</summary>
public sealed record TrainingExample(long Index, Scene Scene, Caption Caption, RgbImage Image);

/// <summary>Arbitrarily many (image, caption) pairs from the training stream
/// (<see cref="ShapesSplit.Train"/>). Example i is a pure function of (seed, settings, i), whatever
/// order examples are asked for, so data loaders can shard and shuffle indices freely. Thread-safe:
/// it holds no mutable state.</summary>
public sealed class TrainingSet
{
    private readonly SceneStream _stream;

    public TrainingSet(ulong seed, SceneSettings? settings = null)
    {
        _stream = new SceneStream(seed, ShapesSplit.Train, settings);
    }

    public ulong Seed => _stream.Seed;

    public SceneSettings Settings => _stream.Settings;

    public TrainingExample this[long index] => Get(index);

    /// <summary>Example <paramref name="index"/>'s scene alone, without rendering it.</summary>
    public Scene SceneAt(long index) => _stream.At(index);

    public TrainingExample Get(long index)
    {
        var scene = SceneAt(index);
        return new TrainingExample(index, scene, CaptionWriter.Describe(scene), ShapesRenderer.Render(scene, Settings.ImageSize));
    }

    /// <summary>Examples <paramref name="start"/>, start + 1, ... without end; take what you need.</summary>
    public IEnumerable<TrainingExample> Enumerate(long start = 0)
    {
        if (start < 0) throw new ArgumentOutOfRangeException(nameof(start), $"start index must be non-negative, got {start}");
        for (long i = start; ; i++) yield return Get(i);
    }
}
