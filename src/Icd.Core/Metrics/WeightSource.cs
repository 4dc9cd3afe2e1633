using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Metrics;

/// <summary>A weight file as released: safetensors, or torch.save (<c>.pth</c>, <c>.pt</c>, <c>.bin</c>)
/// through the safe reader (nothing in it is executed).</summary>
public sealed class WeightSource : IDisposable
{
    private readonly IDisposable _owner;

    private WeightSource(ITensorSource source, IDisposable owner)
    {
        Source = source;
        _owner = owner;
    }

    public ITensorSource Source { get; }

    public static WeightSource Open(string path)
    {
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            var file = SafetensorsFile.Open(path);
            return new WeightSource(new SafetensorsSource(file), file);
        }
        var checkpoint = TorchCheckpoint.Open(path);
        return new WeightSource(checkpoint, checkpoint);
    }

    public void Dispose() => _owner.Dispose();
}
