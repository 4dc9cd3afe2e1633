using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Icd.Torch.Serialization.Fuzzing;

/// <summary>One generated file: what it is, and its bytes.</summary>
public sealed record HostileFile(string Name, string Extension, string Mutation, byte[] Bytes);

/// <summary>
/// A seeded corpus of hostile weight files (issue 37): valid safetensors and torch.save files, then
/// broken the ways attackers and accidents break them — byte flips, truncation, lying lengths,
/// dtypes, shapes and offsets, bad and deeply nested JSON, duplicate keys, type confusion in the
/// pickle, self-containing and deeply nested dictionaries, zero strides, huge storages, code-running
/// globals, zip bombs, damaged data under a stale CRC, missing storages and path-like keys. The same
/// seed gives the same files.
/// </summary>
public static class HostileFiles
{
    private delegate (string Extension, byte[] Bytes) Maker(Random random);

    private static readonly (string Name, Maker Make)[] Mutations =
    [
        ("safetensors byte flips", r => St(Flip(r, ValidSafetensors(), r.Next(1, 9)))),
        ("safetensors truncation", r => St(Truncate(r, ValidSafetensors()))),
        ("safetensors header length lie", r => St(HeaderLengthLie(r))),
        ("safetensors garbage header", r => St(GarbageHeader(r))),
        ("safetensors dtype lie", r => St(WithEntry(Pick(r, """{"dtype":"F64","shape":[2,3],"data_offsets":[0,24]}""", """{"dtype":"Q9","shape":[2,3],"data_offsets":[0,24]}""", """{"dtype":7,"shape":[2,3],"data_offsets":[0,24]}""")))),
        ("safetensors shape lie", r => St(WithEntry(Pick(r, """{"dtype":"F32","shape":[-1,6],"data_offsets":[0,24]}""", """{"dtype":"F32","shape":[1e30],"data_offsets":[0,24]}""", """{"dtype":"F32","shape":["2",3],"data_offsets":[0,24]}""", """{"dtype":"F32","shape":[2.5],"data_offsets":[0,24]}""", """{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,24]}""")))),
        ("safetensors offset lie", r => St(WithEntry(Pick(r, """{"dtype":"F32","shape":[2,3],"data_offsets":["0","24"]}""", """{"dtype":"F32","shape":[2,3],"data_offsets":[-24,0]}""", """{"dtype":"F32","shape":[2,3],"data_offsets":[0,9999999999]}""", """{"dtype":"F32","shape":[2,3],"data_offsets":[0]}""", """{"dtype":"F32","shape":[2,3],"data_offsets":[24,0]}""")))),
        ("safetensors duplicate keys", r => St(Build("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"w":{"dtype":"F32","shape":[3],"data_offsets":[12,24]}}""", 24))),
        ("safetensors deep JSON", r => St(Build("{\"__metadata__\":" + new string('[', 5000) + new string(']', 5000) + "}", 0))),
        ("safetensors metadata lie", r => St(Build("""{"__metadata__":{"a":1},"w":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}}""", 24))),
        ("torch.save pickle byte flips", r => Pt(Zip(Flip(r, ValidPickle(), r.Next(1, 5))))),
        ("torch.save pickle truncation", r => Pt(Zip(Truncate(r, ValidPickle())))),
        ("torch.save type confusion", r => Pt(Zip(TypeConfusion(r)))),
        ("torch.save huge string length", r => Pt(Zip(new PickleWriter().Proto().EmptyDict().String("w", 0x8000_0000u + (uint)r.Next(1000)).Stop().ToArray()))),
        ("torch.save self-containing dict", r => Pt(Zip(new PickleWriter().Proto().EmptyDict().Put(0).String("self").Get(0).SetItem().Stop().ToArray()))),
        ("torch.save deep nesting", r => Pt(Zip(DeepNesting(r.Next(1000, 200_000))))),
        ("torch.save zero stride", r => Pt(Zip(OneTensor(4, 0, [1_000_000_000L], [0L]), storageBytes: 16))),
        ("torch.save huge storage", r => Pt(Zip(OneTensor(1L << 40, 0, [4L], [1L]), storageBytes: 16))),
        ("torch.save view past storage", r => Pt(Zip(OneTensor(4, r.Next(1, 100), [4L], [1L]), storageBytes: 16))),
        ("torch.save code execution", r => Pt(Zip(CodeExecution(r)))),
        ("torch.save zip bomb", r => Pt(ZipBomb(r))),
        ("torch.save damaged data, stale CRC", r => Pt(DamagedData(r))),
        ("torch.save missing storage", r => Pt(Zip(OneTensor(4, 0, [4L], [1L], key: "7"), storageBytes: 16))),
        ("torch.save path-like storage key", r => Pt(Zip(OneTensor(4, 0, [4L], [1L], key: "../../../etc/passwd"), storageBytes: 16))),
        ("not an archive", r => Pt(RandomBytes(r, r.Next(0, 4096)))),
    ];

    /// <summary>The kinds of mutation, in the order files cycle through them.</summary>
    public static IReadOnlyList<string> Kinds => Mutations.Select(m => m.Name).ToArray();

    /// <summary><paramref name="count"/> files from <paramref name="seed"/>; file i is mutation i mod <see cref="Kinds"/>.</summary>
    public static IEnumerable<HostileFile> Generate(int seed, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var random = new Random(HashCode.Combine(seed, i));
            var (kind, make) = Mutations[i % Mutations.Length];
            var (extension, bytes) = make(random);
            yield return new HostileFile($"hostile-{i:D5}", extension, kind, bytes);
        }
    }

    private static (string, byte[]) St(byte[] bytes) => (".safetensors", bytes);

    private static (string, byte[]) Pt(byte[] bytes) => (".pt", bytes);

    private static T Pick<T>(Random r, params T[] options) => options[r.Next(options.Length)];

    private static byte[] RandomBytes(Random r, int n)
    {
        var b = new byte[n];
        r.NextBytes(b);
        return b;
    }

    private static byte[] Flip(Random r, byte[] valid, int flips)
    {
        var b = (byte[])valid.Clone();
        for (int k = 0; k < flips; k++) b[r.Next(b.Length)] ^= (byte)r.Next(1, 256);
        return b;
    }

    private static byte[] Truncate(Random r, byte[] valid) => valid[..r.Next(valid.Length)];

    // ---- safetensors ----

    /// <summary>A safetensors file: 8-byte header length, the header, then <paramref name="dataBytes"/> bytes of data.</summary>
    private static byte[] Build(string header, int dataBytes, byte[]? headerBytes = null)
    {
        var h = headerBytes ?? Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)h.Length);
        h.CopyTo(file, 8);
        for (int k = 0; k < dataBytes; k++) file[8 + h.Length + k] = (byte)(k * 37);
        return file;
    }

    private static byte[] ValidSafetensors() => Build("""{"__metadata__":{"format":"pt"},"bias":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},"weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""", 32);

    private static byte[] WithEntry(string entry) => Build($"{{\"weight\":{entry}}}", 24);

    private static byte[] HeaderLengthLie(Random r)
    {
        var b = ValidSafetensors();
        ulong lie = Pick(r, 0UL, 1UL, (ulong)b.Length, ulong.MaxValue, 99_999_999UL, 1UL << 40);
        BinaryPrimitives.WriteUInt64LittleEndian(b, lie);
        return b;
    }

    private static byte[] GarbageHeader(Random r)
    {
        var header = RandomBytes(r, r.Next(1, 200));
        if (r.Next(2) == 0) header = [.. "{\""u8, .. header, .. "\":{}}"u8]; // invalid UTF-8 inside a key
        return Build("", 0, header);
    }

    // ---- torch.save ----

    private static byte[] OneTensor(long count, long offset, long[] size, long[] stride, string key = "0") =>
        new PickleWriter().Proto().EmptyDict().Put(0).Mark()
            .String("weight").Tensor(key, count, offset, size, stride)
            .SetItems().Stop().ToArray();

    private static byte[] ValidPickle() =>
        new PickleWriter().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce().Put(0).Mark()
            .String("weight").Tensor("0", 6, 0, [2L, 3L], [3L, 1L])
            .String("bias").Tensor("1", 2, 0, [2L], [1L])
            .SetItems().Stop().ToArray();

    private static byte[] TypeConfusion(Random r)
    {
        var w = new PickleWriter().Proto().EmptyDict().Put(0).Mark().String("weight");
        switch (r.Next(6))
        {
            case 0: w.Global("torch._utils", "_rebuild_tensor_v2").Int(5).Reduce(); break;               // arguments not a tuple
            case 1: w.Global("torch._utils", "_rebuild_tensor_v2").EmptyTuple().Reduce(); break;         // no arguments
            case 2: w.Global("torch._utils", "_rebuild_parameter").EmptyTuple().Reduce(); break;
            case 3:                                                                                      // NaN in the shape
                w.Global("torch._utils", "_rebuild_tensor_v2").Mark()
                    .Mark().String("storage").Global("torch", "FloatStorage").String("0").String("cpu").Int(4).Tuple().BinPersId()
                    .Int(0).Mark().Float(double.NaN).Tuple().IntTuple(1).Op(0x89).EmptyDict().Tuple().Reduce();
                break;
            case 4:                                                                                      // storage key not a string
                w.Global("torch._utils", "_rebuild_tensor_v2").Mark()
                    .Mark().String("storage").Global("torch", "FloatStorage").Int(3).String("cpu").Int(4).Tuple().BinPersId()
                    .Int(0).IntTuple(4).IntTuple(1).Op(0x89).EmptyDict().Tuple().Reduce();
                break;
            default: w.Int(1).Int(2).Op(0x93); break;                                                     // STACK_GLOBAL of integers
        }
        return w.SetItems().Stop().ToArray();
    }

    private static byte[] DeepNesting(int depth)
    {
        var w = new PickleWriter().Proto();
        for (int k = 0; k < depth; k++) w.EmptyDict().String("a");
        w.Int(1);
        for (int k = 0; k < depth; k++) w.SetItem();
        return w.Stop().ToArray();
    }

    private static byte[] CodeExecution(Random r)
    {
        var (module, name) = Pick(r, ("os", "system"), ("builtins", "eval"), ("__builtin__", "exec"), ("subprocess", "Popen"), ("posix", "system"), ("torch", "load"));
        return new PickleWriter().Proto().Global(module, name).Mark().String("touch /tmp/icd-fuzz-pwned").Tuple().Reduce().Stop().ToArray();
    }

    /// <summary>A torch.save archive: data.pkl, version, and storages "0" (24 bytes) and "1" (8 bytes),
    /// or one storage "0" of <paramref name="storageBytes"/>; stored uncompressed, as torch.save does.</summary>
    private static byte[] Zip(byte[] pickle, int? storageBytes = null, CompressionLevel level = CompressionLevel.NoCompression)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] data)
            {
                using var s = zip.CreateEntry(name, level).Open();
                s.Write(data);
            }
            Add("archive/data.pkl", pickle);
            Add("archive/version", "3\n"u8.ToArray());
            if (storageBytes is { } n)
            {
                Add("archive/data/0", Enumerable.Range(0, n).Select(k => (byte)(k * 13)).ToArray());
            }
            else
            {
                Add("archive/data/0", Enumerable.Range(0, 24).Select(k => (byte)(k * 13)).ToArray());
                Add("archive/data/1", Enumerable.Range(0, 8).Select(k => (byte)(k * 7)).ToArray());
            }
        }
        return ms.ToArray();
    }

    /// <summary>data.pkl deflated from 300 MB of zeros into a few hundred kilobytes (made once per
    /// process: the bytes do not depend on the seed).</summary>
    private static byte[] ZipBomb(Random r) => r.Next(2) == 0 ? Bomb.Value : Flip(r, Bomb.Value[..4096], 0);

    private static readonly Lazy<byte[]> Bomb = new(() =>
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.Fastest).Open();
            var zeros = new byte[1 << 20];
            for (int mb = 0; mb < 300; mb++) s.Write(zeros);
        }
        return ms.ToArray();
    });

    /// <summary>A valid archive whose storage bytes are changed after the zip recorded their CRC.</summary>
    private static byte[] DamagedData(Random r)
    {
        var zip = Zip(ValidPickle());
        // Storage "0" holds k·13 for k = 0..23, stored as is: find it and change one byte.
        var pattern = Enumerable.Range(0, 24).Select(k => (byte)(k * 13)).ToArray();
        int at = zip.AsSpan().IndexOf(pattern);
        zip[at + r.Next(pattern.Length)] ^= (byte)r.Next(1, 256);
        return zip;
    }
}
