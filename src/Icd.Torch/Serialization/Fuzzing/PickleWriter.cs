using System.Buffers.Binary;
using System.Text;

namespace Icd.Torch.Serialization.Fuzzing;

/// <summary>Writes pickle opcodes (protocol 2) the way torch.save does, so the fuzzer can build
/// valid checkpoints and then break them in chosen places.</summary>
public sealed class PickleWriter
{
    private readonly MemoryStream _out = new();

    public PickleWriter Op(byte op)
    {
        _out.WriteByte(op);
        return this;
    }

    public PickleWriter Raw(ReadOnlySpan<byte> bytes)
    {
        _out.Write(bytes);
        return this;
    }

    public PickleWriter Proto() => Op(0x80).Op(2);
    public PickleWriter Stop() => Op((byte)'.');
    public PickleWriter Mark() => Op((byte)'(');
    public PickleWriter EmptyDict() => Op((byte)'}');
    public PickleWriter EmptyTuple() => Op((byte)')');
    public PickleWriter Tuple() => Op((byte)'t');
    public PickleWriter SetItem() => Op((byte)'s');
    public PickleWriter SetItems() => Op((byte)'u');
    public PickleWriter Reduce() => Op((byte)'R');
    public PickleWriter BinPersId() => Op((byte)'Q');
    public PickleWriter Put(byte slot) => Op((byte)'q').Op(slot);
    public PickleWriter Get(byte slot) => Op((byte)'h').Op(slot);

    public PickleWriter Int(long value)
    {
        if (value is >= 0 and < 256) return Op((byte)'K').Op((byte)value);
        Span<byte> b = stackalloc byte[4];
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)value);
            return Op((byte)'J').Raw(b);
        }
        Span<byte> l = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(l, value);
        return Op(0x8a).Op(8).Raw(l);
    }

    public PickleWriter Float(double value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, value);
        return Op((byte)'G').Raw(b);
    }

    /// <summary>BINUNICODE with the given declared length (a lie when it differs from the text's).</summary>
    public PickleWriter String(string text, uint? declaredLength = null)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(n, declaredLength ?? (uint)bytes.Length);
        return Op((byte)'X').Raw(n).Raw(bytes);
    }

    public PickleWriter Global(string module, string name) => Op((byte)'c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    /// <summary>A tuple of small integers (a size or stride).</summary>
    public PickleWriter IntTuple(params long[] values)
    {
        Mark();
        foreach (long v in values) Int(v);
        return Tuple();
    }

    /// <summary>torch._utils._rebuild_tensor_v2((storage), offset, size, stride, False, OrderedDict()).</summary>
    public PickleWriter Tensor(string storageKey, long count, long offset, long[] size, long[] stride, string storageType = "FloatStorage")
    {
        Global("torch._utils", "_rebuild_tensor_v2");
        Mark();
        Mark().String("storage").Global("torch", storageType).String(storageKey).String("cpu").Int(count).Tuple().BinPersId();
        Int(offset).IntTuple(size).IntTuple(stride).Op(0x89);
        Global("collections", "OrderedDict").EmptyTuple().Reduce();
        return Tuple().Reduce();
    }

    public byte[] ToArray() => _out.ToArray();
}
