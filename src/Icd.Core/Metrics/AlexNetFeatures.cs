using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Metrics;

/// <summary>torchvision's AlexNet <c>features</c> (the "one weird trick" variant torchvision ships),
/// tapped after relu1…relu5 as LPIPS-Alex does (its slices 0–2, 2–5, 5–8, 8–10, 10–12).</summary>
public sealed class AlexNetFeatures : Module, IPerceptualFeatures
{
    private readonly Conv2d _c0, _c3, _c6, _c8, _c10;

    public AlexNetFeatures()
    {
        _c0 = Child("features.0", new Conv2d(3, 64, 11, stride: 4, padding: 2));
        _c3 = Child("features.3", new Conv2d(64, 192, 5, padding: 2));
        _c6 = Child("features.6", new Conv2d(192, 384, 3, padding: 1));
        _c8 = Child("features.8", new Conv2d(384, 256, 3, padding: 1));
        _c10 = Child("features.10", new Conv2d(256, 256, 3, padding: 1));
    }

    public long[] Channels { get; } = [64, 192, 384, 256, 256];

    public Tensor[] Features(Tensor images)
    {
        var relu1 = _c0.Forward(images).Relu();
        var relu2 = _c3.Forward(Functional.MaxPool2d(relu1, 3, 2)).Relu();
        var relu3 = _c6.Forward(Functional.MaxPool2d(relu2, 3, 2)).Relu();
        var relu4 = _c8.Forward(relu3).Relu();
        var relu5 = _c10.Forward(relu4).Relu();
        return [relu1, relu2, relu3, relu4, relu5];
    }
}
