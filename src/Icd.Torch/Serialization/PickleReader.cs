using System.Buffers.Binary;
using System.Text;

namespace Icd.Torch.Serialization;

/// <summary>A storage referenced by a torch.save pickle (persistent id ('storage', type, key, location, numel)).</summary>
internal sealed record StorageRef(DType DType, string Key, long Count);

/// <summary>A tensor rebuilt by torch._utils._rebuild_tensor_v2: a strided view of a storage.</summary>
internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Shape, long[] Stride);

/// <summary>
/// A pickle interpreter for the subset torch.save writes (protocol 2): dicts, lists, tuples,
/// numbers, strings, persistent storage ids and tensor rebuild calls. Globals are resolved against
/// a fixed allow-list; any other global is refused, so no code from the file ever runs.
/// </summary>
internal sealed class PickleReader
{
    private sealed record Global(string Module, string Name);
    private sealed record Mark;

    private static readonly Dictionary<string, DType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = DType.Float32, ["HalfStorage"] = DType.Float16, ["BFloat16Storage"] = DType.BFloat16,
        ["DoubleStorage"] = DType.Float64, ["LongStorage"] = DType.Int64, ["IntStorage"] = DType.Int32,
        ["ShortStorage"] = DType.Int16, ["CharStorage"] = DType.Int8, ["ByteStorage"] = DType.UInt8, ["BoolStorage"] = DType.Bool,
    };

    private readonly byte[] _data;
    private readonly string _source;
    private int _pos;
    private readonly List<object?> _stack = new();
    private readonly Dictionary<long, object?> _memo = new();

    public PickleReader(byte[] data, string source)
    {
        _data = data;
        _source = source;
    }

    public object? Load()
    {
        while (true)
        {
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: ReadByte(); break;                                  // PROTO
                case 0x95: _pos += 8; break;                                   // FRAME
                case (byte)'.': return Pop();                                  // STOP
                case (byte)'(': _stack.Add(new Mark()); break;                 // MARK
                case (byte)'}': _stack.Add(new Dictionary<object, object?>()); break; // EMPTY_DICT
                case (byte)']': _stack.Add(new List<object?>()); break;        // EMPTY_LIST
                case (byte)')': _stack.Add(Array.Empty<object?>()); break;     // EMPTY_TUPLE
                case (byte)'N': _stack.Add(null); break;
                case 0x88: _stack.Add(true); break;
                case 0x89: _stack.Add(false); break;
                case (byte)'J': _stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case (byte)'K': _stack.Add((long)ReadByte()); break;
                case (byte)'M': _stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case 0x8a: _stack.Add(ReadLong1()); break;                     // LONG1
                case (byte)'G': _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                case (byte)'X': _stack.Add(Encoding.UTF8.GetString(Take(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))))); break;
                case 0x8c: _stack.Add(Encoding.UTF8.GetString(Take(ReadByte()))); break; // SHORT_BINUNICODE
                case (byte)'U': _stack.Add(Encoding.Latin1.GetString(Take(ReadByte()))); break;
                case (byte)'T': _stack.Add(Encoding.Latin1.GetString(Take(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))))); break;
                case (byte)'C': _stack.Add(Take(ReadByte()).ToArray()); break;
                case (byte)'B': _stack.Add(Take(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray()); break;
                case (byte)'q': _memo[ReadByte()] = Peek(); break;             // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break;
                case 0x94: _memo[_memo.Count] = Peek(); break;                 // MEMOIZE
                case (byte)'h': _stack.Add(Memo(ReadByte())); break;           // BINGET
                case (byte)'j': _stack.Add(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case (byte)'t': _stack.Add(PopToMark().ToArray()); break;      // TUPLE
                case 0x85: _stack.Add(new[] { Pop() }); break;
                case 0x86: { var b = Pop(); var a = Pop(); _stack.Add(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); _stack.Add(new[] { a, b, c }); break; }
                case (byte)'l': _stack.Add(PopToMark()); break;                // LIST
                case (byte)'d': { var items = PopToMark(); var d = new Dictionary<object, object?>(); SetItems(d, items); _stack.Add(d); break; }
                case (byte)'a': { var v = Pop(); AsList(Peek()).Add(v); break; }
                case (byte)'e': { var items = PopToMark(); AsList(Peek()).AddRange(items); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(AsDict(Peek()), [k, v]); break; }
                case (byte)'u': { var items = PopToMark(); SetItems(AsDict(Peek()), items); break; }
                case (byte)'c': _stack.Add(ResolveGlobal(ReadLine(), ReadLine())); break;
                case 0x93: { var name = (string)Pop()!; var module = (string)Pop()!; _stack.Add(ResolveGlobal(module, name)); break; }
                case (byte)'Q': _stack.Add(PersistentLoad(Pop())); break;      // BINPERSID
                case (byte)'R': { var args = (object?[])Pop()!; var f = Pop(); _stack.Add(Call(f, args)); break; }
                case 0x81: { var args = (object?[])Pop()!; var cls = Pop(); _stack.Add(Call(cls, args)); break; } // NEWOBJ
                case (byte)'b': Pop(); break;                                  // BUILD: state of an allowed object; ignored
                default:
                    throw new InvalidDataException($"{_source}: unsupported pickle opcode 0x{op:x2} at byte {_pos - 1}");
            }
        }
    }

    private object ResolveGlobal(string module, string name)
    {
        bool allowed = (module, name) switch
        {
            ("collections", "OrderedDict") => true,
            ("torch._utils", "_rebuild_tensor_v2") => true,
            ("torch._utils", "_rebuild_parameter") => true,
            ("torch", _) when StorageTypes.ContainsKey(name) => true,
            _ => false,
        };
        if (!allowed)
            throw new InvalidDataException($"{_source}: refusing to load: the pickle references {module}.{name}, which is not a tensor or container (only state dicts are read, and no code from the file runs)");
        return new Global(module, name);
    }

    private object? Call(object? callable, object?[] args)
    {
        if (callable is not Global g) throw new InvalidDataException($"{_source}: call of a non-global in the pickle");
        switch (g.Name)
        {
            case "OrderedDict":
                return new Dictionary<object, object?>();
            case "_rebuild_tensor_v2":
            {
                var storage = args[0] as StorageRef ?? throw new InvalidDataException($"{_source}: tensor without storage");
                return new TensorRef(storage, Convert.ToInt64(args[1]), Longs(args[2]), Longs(args[3]));
            }
            case "_rebuild_parameter":
                return args[0];
            default:
                throw new InvalidDataException($"{_source}: unexpected call of {g.Module}.{g.Name}");
        }
    }

    private object PersistentLoad(object? pid)
    {
        if (pid is not object?[] t || t.Length < 5 || t[0] as string != "storage" || t[1] is not Global type || !StorageTypes.TryGetValue(type.Name, out var dtype))
            throw new InvalidDataException($"{_source}: unsupported persistent id in the pickle");
        return new StorageRef(dtype, (string)t[2]!, Convert.ToInt64(t[4]));
    }

    private static long[] Longs(object? tuple) => ((object?[])tuple!).Select(Convert.ToInt64).ToArray();

    private void SetItems(Dictionary<object, object?> d, List<object?> items)
    {
        for (int k = 0; k + 1 < items.Count; k += 2)
            d[items[k] ?? throw new InvalidDataException($"{_source}: null dictionary key")] = items[k + 1];
    }

    private List<object?> AsList(object? o) => o as List<object?> ?? throw new InvalidDataException($"{_source}: APPEND to a non-list");

    private Dictionary<object, object?> AsDict(object? o) => o as Dictionary<object, object?> ?? throw new InvalidDataException($"{_source}: SETITEM on a non-dict");

    private object? Memo(long key) => _memo.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{_source}: bad memo reference {key}");

    private List<object?> PopToMark()
    {
        int mark = _stack.FindLastIndex(o => o is Mark);
        if (mark < 0) throw new InvalidDataException($"{_source}: pickle MARK missing");
        var items = _stack.GetRange(mark + 1, _stack.Count - mark - 1);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private object? Pop()
    {
        if (_stack.Count == 0) throw new InvalidDataException($"{_source}: pickle stack underflow");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw new InvalidDataException($"{_source}: pickle stack underflow");

    private byte ReadByte() => _pos < _data.Length ? _data[_pos++] : throw new InvalidDataException($"{_source}: pickle truncated");

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || _pos + n > _data.Length) throw new InvalidDataException($"{_source}: pickle truncated");
        var span = _data.AsSpan(_pos, n);
        _pos += n;
        return span;
    }

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw new InvalidDataException($"{_source}: pickle truncated");
        string s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private long ReadLong1()
    {
        int n = ReadByte();
        var bytes = Take(n);
        if (n > 8) throw new InvalidDataException($"{_source}: integer too large");
        long v = 0;
        for (int k = n - 1; k >= 0; k--) v = (v << 8) | bytes[k];
        if (n > 0 && n < 8 && (bytes[n - 1] & 0x80) != 0) v -= 1L << (8 * n); // sign-extend
        return v;
    }
}
