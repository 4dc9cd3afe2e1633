using Icd.Torch.Interop;

namespace Icd.Torch;

/// <summary>Reverse-mode differentiation over libtorch's autograd graph.</summary>
public static unsafe class Autograd
{
    /// <summary>Accumulates d(tensors)/d(leaves) into the leaves' <see cref="Tensor.Grad"/>.
    /// <paramref name="gradients"/> seeds non-scalar outputs (null entries mean ones for a scalar).</summary>
    public static void Backward(Tensor[] tensors, Tensor?[]? gradients = null, bool retainGraph = false, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (gradients is not null && gradients.Length != tensors.Length)
            throw new ArgumentException($"{gradients.Length} gradients for {tensors.Length} tensors", nameof(gradients));
        var t = Handles(tensors);
        var g = gradients is null ? null : Handles(gradients);
        fixed (IntPtr* pt = t)
        fixed (IntPtr* pg = g)
        {
            int status = Native.AutogradBackward(pt, pg, t.Length, retainGraph ? 1 : 0, createGraph ? 1 : 0);
            if (status != 0) Checkpoint.ThrowPending(); // a checkpointed function's own exception, if that is what failed
            Native.Check(status, "backward");
        }
        GC.KeepAlive(tensors);
        GC.KeepAlive(gradients);
    }

    /// <summary>torch.autograd.grad: the gradients of <paramref name="outputs"/> w.r.t. each
    /// input, without touching <see cref="Tensor.Grad"/>. An unused input gives null only with
    /// <paramref name="allowUnused"/>; otherwise libtorch reports it as an error.</summary>
    public static Tensor?[] Grad(Tensor[] outputs, Tensor[] inputs, Tensor?[]? gradOutputs = null,
        bool retainGraph = false, bool createGraph = false, bool allowUnused = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        if (gradOutputs is not null && gradOutputs.Length != outputs.Length)
            throw new ArgumentException($"{gradOutputs.Length} gradOutputs for {outputs.Length} outputs", nameof(gradOutputs));
        var o = Handles(outputs);
        var i = Handles(inputs);
        var g = gradOutputs is null ? null : Handles(gradOutputs);
        var results = new IntPtr[inputs.Length];
        fixed (IntPtr* po = o)
        fixed (IntPtr* pi = i)
        fixed (IntPtr* pg = g)
        fixed (IntPtr* pr = results)
        {
            int status = Native.AutogradGrad(po, pg, o.Length, pi, i.Length, retainGraph ? 1 : 0,
                createGraph ? 1 : 0, allowUnused ? 1 : 0, pr);
            if (status != 0) Checkpoint.ThrowPending();
            Native.Check(status, "autograd.grad");
        }
        GC.KeepAlive(outputs);
        GC.KeepAlive(inputs);
        GC.KeepAlive(gradOutputs);
        return results.Select(h => h == IntPtr.Zero ? null : new Tensor(h)).ToArray();
    }

    /// <summary>The gradient of a scalar with respect to one input.</summary>
    public static Tensor Grad(Tensor output, Tensor input, bool retainGraph = false, bool createGraph = false) =>
        Grad([output], [input], null, retainGraph, createGraph)[0]!;

    public static bool IsGradEnabled
    {
        get
        {
            Native.Check(Native.GradModeGet(out int e), "grad mode");
            return e != 0;
        }
    }

    /// <summary>Disables gradient recording on this thread until disposed (torch.no_grad()).</summary>
    public static GradModeScope NoGrad() => new(false);

    /// <summary>Enables gradient recording on this thread until disposed (torch.enable_grad()).</summary>
    public static GradModeScope EnableGrad() => new(true);

    /// <summary>torch.inference_mode(): no graph and no version counters; tensors made inside
    /// can never be used in autograd later.</summary>
    public static InferenceModeScope InferenceMode() => new();

    /// <summary>Mixed precision as <c>torch.autocast("cpu", dtype)</c>: inside the scope, GEMMs and
    /// convolutions (linear, matmul, bmm, conv) run in <paramref name="dtype"/> on casts of their
    /// float32 inputs (weights stay float32 masters and receive float32 gradients), while reductions,
    /// norms and losses keep float32. Thread-local like grad mode.</summary>
    public static AutocastScope Autocast(DType dtype) => new(dtype);

    private static IntPtr[] Handles(Tensor?[] tensors)
    {
        var h = new IntPtr[tensors.Length];
        for (int k = 0; k < tensors.Length; k++) h[k] = tensors[k]?.NativeHandle ?? IntPtr.Zero;
        return h;
    }
}

/// <summary>Restores the previous grad mode on dispose. libtorch's grad mode is thread-local, so
/// the scope must end on the thread that began it (do not await inside it).</summary>
public readonly struct GradModeScope : IDisposable
{
    private readonly bool _previous;

    internal GradModeScope(bool enabled)
    {
        Native.Check(Native.GradModeSet(enabled ? 1 : 0, out int previous), "set grad mode");
        _previous = previous != 0;
    }

    public void Dispose() => Native.Check(Native.GradModeSet(_previous ? 1 : 0, out _), "restore grad mode");
}

/// <summary>Leaves CPU autocast as it was when the scope began (nested scopes restore in order).</summary>
public readonly struct AutocastScope : IDisposable
{
    private readonly int _previousEnabled, _previousDtype;

    internal AutocastScope(DType dtype)
    {
        if (dtype is not (DType.BFloat16 or DType.Float16 or DType.Float32))
            throw new ArgumentException($"autocast computes in a floating-point dtype, not {dtype.TorchName()}", nameof(dtype));
        Native.Check(Native.AutocastCpuEnter((int)dtype, out _previousEnabled, out _previousDtype), "enter autocast");
    }

    public void Dispose() => Native.Check(Native.AutocastCpuExit(_previousEnabled, _previousDtype), "leave autocast");
}

public sealed class InferenceModeScope : IDisposable
{
    private IntPtr _guard;

    internal InferenceModeScope() => Native.Check(Native.InferenceModeEnter(out _guard), "enter inference mode");

    public void Dispose()
    {
        if (_guard == IntPtr.Zero) return;
        Native.Check(Native.InferenceModeExit(_guard), "exit inference mode");
        _guard = IntPtr.Zero;
    }
}
