using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Metrics;

/// <summary>torchvision's SqueezeNet 1.1 <c>features</c>, tapped as LPIPS-Squeeze does: after the
/// first ReLU and after fire modules 4, 6, 9, 10, 11 and 12 (its seven slices).</summary>
public sealed class SqueezeNetFeatures : Module, IPerceptualFeatures
{
    /// <summary>A fire module: 1×1 squeeze, then 1×1 and 3×3 expands side by side, each with a ReLU.</summary>
    private sealed class Fire : Module
    {
        private readonly Conv2d _squeeze, _expand1, _expand3;

        public Fire(long inChannels, long squeeze, long expand1, long expand3)
        {
            _squeeze = Child("squeeze", new Conv2d(inChannels, squeeze, 1));
            _expand1 = Child("expand1x1", new Conv2d(squeeze, expand1, 1));
            _expand3 = Child("expand3x3", new Conv2d(squeeze, expand3, 3, padding: 1));
        }

        public Tensor Forward(Tensor x)
        {
            using var scope = new TensorScope();
            var s = _squeeze.Forward(x).Relu();
            return Tensor.Cat([_expand1.Forward(s).Relu(), _expand3.Forward(s).Relu()], 1).MoveToOuterScope();
        }
    }

    private readonly Conv2d _conv;
    private readonly Dictionary<int, Fire> _fires = [];

    public SqueezeNetFeatures()
    {
        _conv = Child("features.0", new Conv2d(3, 64, 3, stride: 2));
        foreach (var (index, spec) in new (int, long[])[]
        {
            (3, [64, 16, 64, 64]), (4, [128, 16, 64, 64]), (6, [128, 32, 128, 128]), (7, [256, 32, 128, 128]),
            (9, [256, 48, 192, 192]), (10, [384, 48, 192, 192]), (11, [384, 64, 256, 256]), (12, [512, 64, 256, 256]),
        })
            _fires[index] = Child($"features.{index}", new Fire(spec[0], spec[1], spec[2], spec[3]));
    }

    public long[] Channels { get; } = [64, 128, 256, 384, 384, 512, 512];

    public Tensor[] Features(Tensor images)
    {
        var relu1 = _conv.Forward(images).Relu();
        var fire4 = _fires[4].Forward(_fires[3].Forward(Functional.MaxPool2d(relu1, 3, 2, ceilMode: true)));
        var fire7 = _fires[7].Forward(_fires[6].Forward(Functional.MaxPool2d(fire4, 3, 2, ceilMode: true)));
        var fire9 = _fires[9].Forward(Functional.MaxPool2d(fire7, 3, 2, ceilMode: true));
        var fire10 = _fires[10].Forward(fire9);
        var fire11 = _fires[11].Forward(fire10);
        var fire12 = _fires[12].Forward(fire11);
        return [relu1, fire4, fire7, fire9, fire10, fire11, fire12];
    }
}
