using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Icd.Torch.Interop;

/// <summary>
/// One ATen operator, found once by schema name and called through the dispatcher
/// (see native/src/ops.cpp). Autograd, inference mode and device dispatch all happen in
/// libtorch exactly as for a Python call. Argument order is the schema's, from
/// aten/src/ATen/native/native_functions.yaml.
/// </summary>
internal sealed unsafe class Op
{
    private static readonly ConcurrentDictionary<(string, string), Op> Cache = new();

    private readonly IntPtr _handle;

    private Op(string name, string overload, IntPtr handle)
    {
        Name = overload.Length == 0 ? name : $"{name}.{overload}";
        _handle = handle;
    }

    public string Name { get; }

    public static Op Get(string name, string overload = "") =>
        Cache.GetOrAdd((name, overload), key =>
        {
            Native.Check(Native.OpFind(key.Item1, key.Item2, out IntPtr handle), $"finding operator {key.Item1}.{key.Item2}");
            return new Op(key.Item1, key.Item2, handle);
        });

    /// <summary>Calls an op that returns one tensor.</summary>
    public Tensor Call(params ReadOnlySpan<Arg> args)
    {
        Span<Native.IcdArg> results = stackalloc Native.IcdArg[4];
        int n = Invoke(args, results);
        if (n < 1 || results[0].Kind != Native.ArgKind.Tensor || results[0].P == IntPtr.Zero)
        {
            ReleaseResults(results[..n]);
            throw new TorchException(Name, "expected a tensor result");
        }
        ReleaseResults(results[1..n]);
        return new Tensor(results[0].P);
    }

    /// <summary>Calls an op that returns several tensors (tuples and lists are flattened).</summary>
    public Tensor[] CallMany(int capacity, params ReadOnlySpan<Arg> args)
    {
        var results = new Native.IcdArg[capacity];
        int n = Invoke(args, results);
        var tensors = new Tensor[n];
        for (int k = 0; k < n; k++)
        {
            if (results[k].Kind != Native.ArgKind.Tensor || results[k].P == IntPtr.Zero)
            {
                for (int j = 0; j < k; j++) tensors[j].Dispose();
                ReleaseResults(results.AsSpan(k, n - k));
                throw new TorchException(Name, $"result {k} is not a tensor");
            }
            tensors[k] = new Tensor(results[k].P);
        }
        return tensors;
    }

    /// <summary>Calls an op for its effect (in-place ops); the returned alias is released.</summary>
    public void Run(params ReadOnlySpan<Arg> args)
    {
        Span<Native.IcdArg> results = stackalloc Native.IcdArg[4];
        int n = Invoke(args, results);
        ReleaseResults(results[..n]);
    }

    /// <summary>Calls an op that returns a Python number (aten::item, aten::_local_scalar_dense).</summary>
    public double CallScalar(params ReadOnlySpan<Arg> args)
    {
        Span<Native.IcdArg> results = stackalloc Native.IcdArg[4];
        int n = Invoke(args, results);
        if (n != 1) throw new TorchException(Name, $"expected one scalar result, got {n}");
        return results[0].Kind switch
        {
            Native.ArgKind.Double => results[0].D,
            Native.ArgKind.Int or Native.ArgKind.Bool => results[0].I,
            _ => throw new TorchException(Name, $"expected a scalar result, got {results[0].Kind}"),
        };
    }

    private static void ReleaseResults(ReadOnlySpan<Native.IcdArg> results)
    {
        foreach (var r in results)
        {
            if (r.Kind == Native.ArgKind.Tensor && r.P != IntPtr.Zero) Native.TensorFree(r.P);
        }
    }

    private int Invoke(ReadOnlySpan<Arg> args, Span<Native.IcdArg> results)
    {
        Span<Native.IcdArg> boxed = stackalloc Native.IcdArg[args.Length];
        List<GCHandle>? pins = null;
        List<IntPtr>? strings = null;
        try
        {
            for (int k = 0; k < args.Length; k++)
                boxed[k] = Box(args[k], ref pins, ref strings);
            int status, n;
            fixed (Native.IcdArg* a = boxed)
            fixed (Native.IcdArg* r = results)
            {
                status = Native.OpCall(_handle, a, args.Length, r, results.Length, out n);
            }
            if (status != 0)
            {
                var copy = args.ToArray();
                Native.Check(status, () => Describe(copy));
            }
            return n;
        }
        finally
        {
            if (pins is not null) foreach (var p in pins) p.Free();
            if (strings is not null) foreach (var s in strings) Marshal.FreeCoTaskMem(s);
            // Tensor arguments must stay alive (not finalized) until the native call returned.
            foreach (var a in args) GC.KeepAlive(a.Obj);
        }
    }

    private static Native.IcdArg Box(in Arg a, ref List<GCHandle>? pins, ref List<IntPtr>? strings)
    {
        var r = new Native.IcdArg { Kind = a.Kind, I = a.I, D = a.D, Aux = a.Aux };
        switch (a.Kind)
        {
            case Native.ArgKind.Tensor:
                r.P = ((Tensor)a.Obj!).NativeHandle;
                break;
            case Native.ArgKind.Generator:
                r.P = ((Generator)a.Obj!).NativeHandle;
                break;
            case Native.ArgKind.IntList:
                r.P = Pin(a.Obj!, ref pins);
                r.I = ((long[])a.Obj!).Length;
                break;
            case Native.ArgKind.DoubleList:
                r.P = Pin(a.Obj!, ref pins);
                r.I = ((double[])a.Obj!).Length;
                break;
            case Native.ArgKind.BoolList:
                var flags = ((bool[])a.Obj!).Select(b => b ? 1L : 0L).ToArray();
                r.P = Pin(flags, ref pins);
                r.I = flags.Length;
                break;
            case Native.ArgKind.TensorList:
            case Native.ArgKind.OptionalTensorList:
                var tensors = (Tensor?[])a.Obj!;
                var handles = new IntPtr[tensors.Length];
                for (int k = 0; k < tensors.Length; k++) handles[k] = tensors[k]?.NativeHandle ?? IntPtr.Zero;
                r.P = Pin(handles, ref pins);
                r.I = handles.Length;
                break;
            case Native.ArgKind.String:
                var s = Marshal.StringToCoTaskMemUTF8((string)a.Obj!);
                (strings ??= new()).Add(s);
                r.P = s;
                break;
        }
        return r;
    }

    private static IntPtr Pin(object array, ref List<GCHandle>? pins)
    {
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        (pins ??= new()).Add(handle);
        return handle.AddrOfPinnedObject();
    }

    private string Describe(ReadOnlySpan<Arg> args)
    {
        var parts = new string[args.Length];
        for (int k = 0; k < args.Length; k++) parts[k] = args[k].ToString();
        return $"{Name}({string.Join(", ", parts)})";
    }
}
