using Icd.Checkpoints;
using Icd.Imaging;
using Icd.Shapes;
using Icd.Training;

namespace Icd.Tests;

/// <summary>Data for one-step teacher tests on the tiny reference model (32² images).</summary>
internal static class TinyTeacherData
{
    /// <summary>Eight scenes of the Shapes training stream at the tiny model's size.</summary>
    public static ShapesSource Shapes() => new(5, 8, SceneSettings.Default with { ImageSize = 32 });

    public static BatchBuilder Batches(StableDiffusionModels net, IImageCaptionSource source) =>
        new(source, net.Vae, net.TextEncoder, net.Tokenizer, 32, 1);

    public static RunOptions OneStep(int batchSize) => new() { Steps = 1, BatchSize = batchSize, LearningRate = 1e-3, CheckpointEvery = 1, LogEvery = 1 };

    /// <summary>One blank image with a caption: a source that knows nothing else.</summary>
    public sealed class Plain : IImageCaptionSource
    {
        public long Count => 1;
        public (RgbImage Image, string Caption) Get(long index) => (RgbImage.Blank(32, 32, 10, 20, 30), "plain");
    }
}
