namespace Icd.Training;

/// <summary>A source that knows where its images' objects are, so the autoencoder can weight its
/// reconstruction error there (<see cref="AutoencoderStage"/>'s object weight).</summary>
public interface IObjectCoverageSource : IImageCaptionSource
{
    /// <summary>Per pixel of item <paramref name="index"/>'s image (row-major, height × width), how
    /// much of it objects cover: the sum of their coverages, 0 on pure background.</summary>
    float[] ObjectCoverage(long index);
}
