using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Metrics;

/// <summary>
/// The Shapes world's small image encoder (CLIP's image tower at toy scale): four stride-2 conv
/// stages (GroupNorm, SiLU), global average pooling and a projection. Trained contrastively with
/// the text encoder; its stage outputs are also the feature layers of the Shapes perceptual distance.
/// </summary>
public sealed class ImageEncoder : Module, IPerceptualFeatures
{
    private readonly ModuleList<EncoderStage> _stages;
    private readonly Linear _projection;

    public ImageEncoder(long[] channels, long embedDim)
    {
        Channels = channels;
        _stages = Child("stages", new ModuleList<EncoderStage>(channels.Select((c, i) => new EncoderStage(i == 0 ? 3 : channels[i - 1], c))));
        _projection = Child("projection", new Linear(channels[^1], embedDim, bias: false));
    }

    public long[] Channels { get; }

    /// <summary>Images (B, 3, H, W) in [−1, 1] → the output of every stage.</summary>
    public Tensor[] Features(Tensor images)
    {
        var outputs = new Tensor[_stages.Count];
        var h = images;
        for (int i = 0; i < _stages.Count; i++) outputs[i] = h = _stages[i].Forward(h);
        return outputs;
    }

    /// <summary>Images → embeddings (B, embedDim), not normalised.</summary>
    public Tensor Embed(Tensor images)
    {
        using var scope = new TensorScope();
        var last = Features(images)[^1];
        return _projection.Forward(last.Mean([2, 3])).MoveToOuterScope();
    }
}

public sealed class EncoderStage : Module
{
    private readonly Conv2d _conv1, _conv2;
    private readonly GroupNorm _norm1, _norm2;

    public EncoderStage(long inChannels, long outChannels)
    {
        _conv1 = Child("conv1", new Conv2d(inChannels, outChannels, 3, stride: 2, padding: 1));
        _norm1 = Child("norm1", new GroupNorm(Math.Min(8, outChannels), outChannels));
        _conv2 = Child("conv2", new Conv2d(outChannels, outChannels, 3, padding: 1));
        _norm2 = Child("norm2", new GroupNorm(Math.Min(8, outChannels), outChannels));
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = new TensorScope();
        var h = _norm1.Forward(_conv1.Forward(x)).Silu();
        return (h + _norm2.Forward(_conv2.Forward(h)).Silu()).MoveToOuterScope();
    }
}
