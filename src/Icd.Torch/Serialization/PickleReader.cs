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

    public PickleReader(byte[] data, string source, int start = 0)
    {
        _data = data;
        _source = source;
        _pos = start;
    }

    /// <summary>Where the next pickle starts once <see cref="Load"/> has read one to its STOP (the
    /// legacy torch.save format writes several in a row).</summary>
    public int Position => _pos;

    /// <summary>Runs the pickle to its STOP. Every malformed input ends in one
    /// <see cref="CheckpointFormatException"/> naming the file and the byte where it went wrong.</summary>
    public object? Load()
    {
        int opStart = 0;
        try
        {
            return Run(ref opStart);
        }
        catch (Exception e) when (e is InvalidCastException or IndexOutOfRangeException or OverflowException or ArgumentException
                                      or NullReferenceException or FormatException or KeyNotFoundException)
        {
            throw new CheckpointFormatException(_source, $"malformed pickle at byte {opStart} (opcode 0x{_data[Math.Min(opStart, _data.Length - 1)]:x2}): {e.Message}", e);
        }
    }

    private CheckpointFormatException Bad(string problem) => new(_source, problem);

    private CheckpointFormatException Truncated(string problem) => new(_source, problem) { EndsEarly = true };

    private object? Run(ref int opStart)
    {
        while (true)
        {
            opStart = _pos;
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
                case (byte)'X': _stack.Add(Utf8.GetString(Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break;
                case 0x8c: _stack.Add(Utf8.GetString(Take(ReadByte()))); break; // SHORT_BINUNICODE
                case (byte)'U': _stack.Add(Encoding.Latin1.GetString(Take(ReadByte()))); break;
                case (byte)'T': _stack.Add(Encoding.Latin1.GetString(Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break;
                case (byte)'C': _stack.Add(Take(ReadByte()).ToArray()); break;
                case (byte)'B': _stack.Add(Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))).ToArray()); break;
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
                case 0x93: { var name = Text(Pop(), "global name"); var module = Text(Pop(), "global module"); _stack.Add(ResolveGlobal(module, name)); break; }
                case (byte)'Q': _stack.Add(PersistentLoad(Pop())); break;      // BINPERSID
                case (byte)'R': { var args = Tuple(Pop(), "REDUCE arguments"); var f = Pop(); _stack.Add(Call(f, args)); break; }
                case 0x81: { var args = Tuple(Pop(), "NEWOBJ arguments"); var cls = Pop(); _stack.Add(Call(cls, args)); break; } // NEWOBJ
                case (byte)'b': Pop(); break;                                  // BUILD: state of an allowed object; ignored
                default:
                    throw Bad($"unsupported pickle opcode 0x{op:x2} at byte {_pos - 1}");
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
            throw Bad($"refusing to load: the pickle references {module}.{name}, which is not a tensor or container (only state dicts are read, and no code from the file runs)");
        return new Global(module, name);
    }

    private object? Call(object? callable, object?[] args)
    {
        if (callable is not Global g) throw Bad($"call of a non-global in the pickle");
        switch (g.Name)
        {
            case "OrderedDict":
            {
                // Older pickles (legacy torch.save) pass the items as one list of [key, value] pairs.
                var d = new Dictionary<object, object?>();
                if (args.Length > 0 && args[0] is List<object?> pairs)
                {
                    foreach (var pair in pairs)
                    {
                        var kv = pair as List<object?> ?? (pair as object?[])?.ToList() ?? throw Bad("OrderedDict item is not a [key, value] pair");
                        if (kv.Count != 2) throw Bad($"OrderedDict item with {kv.Count} parts");
                        SetItems(d, kv);
                    }
                }
                return d;
            }
            case "_rebuild_tensor_v2":
            {
                if (args.Length < 4) throw Bad($"_rebuild_tensor_v2 with {args.Length} arguments (needs storage, offset, size, stride)");
                var storage = args[0] as StorageRef ?? throw Bad($"tensor without storage");
                var shape = Longs(args[2], "tensor size");
                var stride = Longs(args[3], "tensor stride");
                if (shape.Length != stride.Length) throw Bad($"tensor size has {shape.Length} dimensions, its stride {stride.Length}");
                return new TensorRef(storage, Int(args[1], "storage offset"), shape, stride);
            }
            case "_rebuild_parameter":
                return args.Length > 0 ? args[0] : throw Bad("_rebuild_parameter without a tensor");
            default:
                throw Bad($"unexpected call of {g.Module}.{g.Name}");
        }
    }

    private object PersistentLoad(object? pid)
    {
        if (pid is not object?[] t || t.Length < 5 || t[0] as string != "storage" || t[1] is not Global type || !StorageTypes.TryGetValue(type.Name, out var dtype))
            throw Bad($"unsupported persistent id in the pickle");
        string key = t[2] as string ?? throw Bad("storage key is not a string");
        // The key names a zip entry: a plain name, never a path.
        if (key.Length == 0 || key.Length > 256 || key.Contains('/') || key.Contains('\\') || key.Contains(".."))
            throw Bad($"storage key '{(key.Length > 40 ? key[..40] + "…" : key)}' is not a plain name");
        long count = Int(t[4], "storage element count");
        if (count < 0) throw Bad($"storage '{key}' has a negative element count {count}");
        return new StorageRef(dtype, key, count);
    }

    private long Int(object? value, string what) => value is long l ? l : throw Bad($"{what} is not an integer ({Kind(value)})");

    private long[] Longs(object? tuple, string what)
    {
        var items = Tuple(tuple, what);
        if (items.Length > 64) throw Bad($"{what} has {items.Length} dimensions");
        return items.Select(v => Int(v, what)).ToArray();
    }

    private object?[] Tuple(object? value, string what) => value as object?[] ?? throw Bad($"{what}: expected a tuple, found {Kind(value)}");

    private string Text(object? value, string what) => value as string ?? throw Bad($"{what}: expected a string, found {Kind(value)}");

    private static string Kind(object? value) => value switch
    {
        null => "None",
        long => "an integer",
        double d => $"the float {d}",
        string => "a string",
        object?[] => "a tuple",
        List<object?> => "a list",
        Dictionary<object, object?> => "a dict",
        _ => value.GetType().Name,
    };

    /// <summary>Strict UTF-8: invalid bytes are an error, not replacement characters.</summary>
    private static readonly Encoding Utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

    private void SetItems(Dictionary<object, object?> d, List<object?> items)
    {
        for (int k = 0; k + 1 < items.Count; k += 2)
            d[items[k] ?? throw Bad($"null dictionary key")] = items[k + 1];
    }

    private List<object?> AsList(object? o) => o as List<object?> ?? throw Bad($"APPEND to a non-list");

    private Dictionary<object, object?> AsDict(object? o) => o as Dictionary<object, object?> ?? throw Bad($"SETITEM on a non-dict");

    private object? Memo(long key) => _memo.TryGetValue(key, out var v) ? v : throw Bad($"bad memo reference {key}");

    private List<object?> PopToMark()
    {
        int mark = _stack.FindLastIndex(o => o is Mark);
        if (mark < 0) throw Bad($"pickle MARK missing");
        var items = _stack.GetRange(mark + 1, _stack.Count - mark - 1);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private object? Pop()
    {
        if (_stack.Count == 0) throw Bad($"pickle stack underflow");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw Bad($"pickle stack underflow");

    private byte ReadByte() => _pos < _data.Length ? _data[_pos++] : throw Truncated("pickle truncated");

    private ReadOnlySpan<byte> Take(long n)
    {
        if (n < 0) throw Bad($"negative length {n} at byte {_pos}");
        if (_pos + n > _data.Length) throw Truncated($"pickle truncated (a length of {n} bytes at byte {_pos} runs past its end)");
        var span = _data.AsSpan(_pos, (int)n);
        _pos += (int)n;
        return span;
    }

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw Truncated("pickle truncated");
        string s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private long ReadLong1()
    {
        int n = ReadByte();
        var bytes = Take(n);
        if (n > 8) throw Bad($"integer too large");
        long v = 0;
        for (int k = n - 1; k >= 0; k--) v = (v << 8) | bytes[k];
        if (n > 0 && n < 8 && (bytes[n - 1] & 0x80) != 0) v -= 1L << (8 * n); // sign-extend
        return v;
    }
}
