using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Icd.Torch.Interop;

namespace Icd.Torch;

/// <summary>
/// An n-dimensional array in native (libtorch) memory. Dispose it with <c>using</c>, or let the
/// enclosing <see cref="TensorScope"/> do it. Every op returns a new tensor and never disposes its
/// inputs. The operations live in the partial files Tensor.*.cs, grouped as PyTorch groups them.
/// </summary>
public sealed unsafe partial class Tensor : IDisposable
{
    private readonly TensorHandle _handle;

    internal Tensor(IntPtr handle)
    {
        _handle = new TensorHandle(handle);
        TensorScope.Register(this);
    }

    /// <summary>The scope that will dispose this tensor, or null when the caller owns it.</summary>
    internal TensorScope? Scope { get; set; }

    internal IntPtr NativeHandle
    {
        get
        {
            if (_handle.IsClosed) throw new ObjectDisposedException(nameof(Tensor), "this tensor was disposed");
            return _handle.DangerousGetHandle();
        }
    }

    public bool IsDisposed => _handle.IsClosed;

    public void Dispose() => _handle.Dispose();

    /// <summary>Moves the tensor to the scope enclosing its current one (or to no scope).</summary>
    public Tensor MoveToOuterScope()
    {
        Scope?.MoveToOuter(this);
        return this;
    }

    /// <summary>Takes the tensor out of every scope: the caller now owns it.</summary>
    public Tensor DetachFromScope()
    {
        Scope = null;
        return this;
    }

    /// <summary>A second handle to the same tensor (same storage, same autograd identity).</summary>
    public Tensor Share()
    {
        Native.Check(Native.TensorShare(NativeHandle, out IntPtr shared), "share");
        return new Tensor(shared);
    }

    public int Dim
    {
        get
        {
            Native.Check(Native.TensorDim(NativeHandle, out long dim), "dim");
            return (int)dim;
        }
    }

    public long[] Shape
    {
        get
        {
            int dim = Dim;
            var sizes = new long[dim];
            fixed (long* p = sizes) Native.Check(Native.TensorSizes(NativeHandle, p, dim), "sizes");
            return sizes;
        }
    }

    public long[] Strides
    {
        get
        {
            int dim = Dim;
            var strides = new long[dim];
            fixed (long* p = strides) Native.Check(Native.TensorStrides(NativeHandle, p, dim), "strides");
            return strides;
        }
    }

    /// <summary>Size of one dimension; negative indices count from the end.</summary>
    public long Size(int dim)
    {
        var shape = Shape;
        int d = dim < 0 ? dim + shape.Length : dim;
        if (d < 0 || d >= shape.Length)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"tensor has {shape.Length} dimensions");
        return shape[d];
    }

    public long NumberOfElements
    {
        get
        {
            long n = 1;
            foreach (long s in Shape) n *= s;
            return n;
        }
    }

    public DType DType
    {
        get
        {
            Native.Check(Native.TensorDType(NativeHandle, out int dtype), "dtype");
            return (DType)dtype;
        }
    }

    public Device Device
    {
        get
        {
            Native.Check(Native.TensorDevice(NativeHandle, out int type, out int index), "device");
            return new Device((DeviceType)type, index);
        }
    }

    public bool RequiresGrad
    {
        get
        {
            Native.Check(Native.TensorRequiresGrad(NativeHandle, out int r), "requires_grad");
            return r != 0;
        }
        set => Op.Get("aten::requires_grad_").Run(this, value);
    }

    public bool IsLeaf
    {
        get
        {
            Native.Check(Native.TensorIsLeaf(NativeHandle, out int r), "is_leaf");
            return r != 0;
        }
    }

    /// <summary>The accumulated gradient after backward, or null. The result is a new handle.</summary>
    public Tensor? Grad
    {
        get
        {
            Native.Check(Native.TensorGrad(NativeHandle, out IntPtr g), "grad");
            return g == IntPtr.Zero ? null : new Tensor(g);
        }
        set
        {
            Native.Check(Native.TensorSetGrad(NativeHandle, value?.NativeHandle ?? IntPtr.Zero), "set grad");
            GC.KeepAlive(value);
        }
    }

    /// <summary>Sets requires_grad in place and returns this tensor (PyTorch's requires_grad_()).</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>"Tensor[2, 3] float32" (for messages).</summary>
    public string Describe() =>
        IsDisposed ? "Tensor(disposed)" : $"Tensor[{string.Join(", ", Shape)}] {DType.TorchName()}";

    public override string ToString() => Describe();

    // ---- Data in and out -------------------------------------------------------------------

    /// <summary>Wraps a .NET array without copying: the tensor reads and writes the array,
    /// which stays pinned until the tensor's storage is freed.</summary>
    public static Tensor FromArray<T>(T[] data, params long[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        long n = 1;
        foreach (long s in shape)
        {
            if (s < 0) throw new ArgumentException($"negative size in shape [{string.Join(", ", shape)}]", nameof(shape));
            n *= s;
        }
        if (n != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {n} elements but the array has {data.Length}", nameof(shape));
        var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            return FromPointer(pin.AddrOfPinnedObject(), shape, DTypeExtensions.Of<T>(), &ReleasePin, GCHandle.ToIntPtr(pin));
        }
        catch
        {
            pin.Free();
            throw;
        }
    }

    /// <summary>A 1-D tensor over the array (no copy).</summary>
    public static Tensor FromArray<T>(T[] data) where T : unmanaged => FromArray(data, data.LongLength);

    /// <summary>Wraps foreign memory; <paramref name="release"/> runs with <paramref name="context"/>
    /// when libtorch frees the storage.</summary>
    internal static Tensor FromPointer(IntPtr data, long[] shape, DType dtype,
        delegate* unmanaged<IntPtr, void> release, IntPtr context)
    {
        IntPtr handle;
        fixed (long* s = shape)
        {
            Native.Check(Native.TensorFromBlob(data == IntPtr.Zero ? (IntPtr)1 : data, s, shape.Length, (int)dtype, release, context, out handle),
                $"from_blob([{string.Join(", ", shape)}] {dtype.TorchName()})");
        }
        return new Tensor(handle);
    }

    [UnmanagedCallersOnly]
    private static void ReleasePin(IntPtr context) => GCHandle.FromIntPtr(context).Free();

    /// <summary>Copies the elements (row-major) into a new array. The dtype must match T.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var result = new T[NumberOfElements];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>Copies the elements (row-major) into <paramref name="destination"/>.</summary>
    public void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        var want = DTypeExtensions.Of<T>();
        if (DType != want)
            throw new InvalidOperationException($"{Describe()} cannot be read as {typeof(T).Name} ({want.TorchName()}); convert with To({want}) first");
        using var cpu = Device.Type == DeviceType.Cpu ? Share() : To(Device.Cpu);
        using var contiguous = cpu.Contiguous();
        long n = contiguous.NumberOfElements;
        if (destination.Length < n)
            throw new ArgumentException($"destination holds {destination.Length} elements, tensor has {n}", nameof(destination));
        if (n == 0) return;
        Native.Check(Native.TensorDataPtr(contiguous.NativeHandle, out IntPtr data), "data_ptr");
        new ReadOnlySpan<T>((void*)data, checked((int)n)).CopyTo(destination);
    }

    /// <summary>The value of a one-element tensor, as a double.</summary>
    public double Item() => Op.Get("aten::item").CallScalar(this);

    /// <summary>The value of a one-element tensor converted to T.</summary>
    public T Item<T>() where T : unmanaged
    {
        double v = Item();
        return (T)Convert.ChangeType(v, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Raw pointer to the first element of a CPU tensor; valid while the tensor lives.</summary>
    internal IntPtr DataPointer()
    {
        Native.Check(Native.TensorDataPtr(NativeHandle, out IntPtr data), "data_ptr");
        return data;
    }

    /// <summary>Number of live tensor handles in the process (all threads); for leak tests.</summary>
    public static long LiveHandles
    {
        get
        {
            Native.Check(Native.LiveTensorHandles(out long n), "live handles");
            return n;
        }
    }

    /// <summary><see cref="LiveHandles"/> once the GC has finalized every unreachable tensor. A leak
    /// check counts with this: a tensor some earlier code left to the GC can otherwise be finalized
    /// between the check's two counts and make them differ (seen: about one full test run in ten).</summary>
    public static long SettledLiveHandles()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return LiveHandles;
    }
}
