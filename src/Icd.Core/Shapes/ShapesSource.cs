using Icd.Imaging;
using Icd.Training;

namespace Icd.Shapes;

/// <summary>The first <see cref="Count"/> scenes of the Shapes training stream as a data source.</summary>
public sealed class ShapesSource(ulong seed, long count, SceneSettings? settings = null) : IImageCaptionSource
{
    private readonly TrainingSet _set = new(seed, settings);

    public long Count { get; } = count;

    public (RgbImage Image, string Caption) Get(long index)
    {
        var example = _set.Get(index % Count);
        return (example.Image, example.Caption.Text);
    }
}
