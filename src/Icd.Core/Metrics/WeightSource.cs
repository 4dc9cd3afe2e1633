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
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || LooksLikeSafetensors(path))
        {
            var file = SafetensorsFile.Open(path);
            return new WeightSource(new SafetensorsSource(file), file);
        }
        var checkpoint = TorchCheckpoint.Open(path);
        return new WeightSource(checkpoint, checkpoint);
    }

    /// <summary>Safetensors whatever the name (a converted file kept under the released .pth name):
    /// an 8-byte header length, then the JSON header's opening brace.</summary>
    private static bool LooksLikeSafetensors(string path)
    {
        if (!File.Exists(path)) return false;
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[9];
        return stream.Read(head) == 9 && head[8] == (byte)'{' && BitConverter.ToUInt64(head[..8]) < (ulong)stream.Length;
    }

    public void Dispose() => _owner.Dispose();
}
