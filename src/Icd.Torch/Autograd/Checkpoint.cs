using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Icd.Torch.Interop;

namespace Icd.Torch;

/// <summary>
/// Activation checkpointing (torch.utils.checkpoint, the reentrant variant): the function runs
/// without recording a graph, only its inputs are kept, and during backward it runs again with
/// the graph on and is differentiated there. Memory for the function's intermediate activations
/// is traded for one more forward pass.
/// </summary>
/// <remarks>
/// As in PyTorch's reentrant variant, parameters inside the function receive their gradients
/// through <see cref="Autograd.Backward"/> (they accumulate into <see cref="Tensor.Grad"/>);
/// <see cref="Autograd.Grad(Tensor[], Tensor[], Tensor?[], bool, bool, bool)"/> cannot see them.
/// The function must compute the same thing twice: no dropout with p &gt; 0, no data-dependent
/// randomness, no side effects such as attention-map recording.
/// </remarks>
public static unsafe class Checkpoint
{
    private sealed class State(Func<Tensor[], Tensor[]> function, bool[] requiresGrad)
    {
        public readonly Func<Tensor[], Tensor[]> Function = function;
        public readonly bool[] RequiresGrad = requiresGrad;
    }

    // A callback failure travels through libtorch as a C++ exception; the original .NET exception
    // waits here to be rethrown by the call that started the forward or backward pass.
    private static ExceptionDispatchInfo? s_pending;
    private static int s_live;

    /// <summary>Contexts the graph still holds (tests check that none leak).</summary>
    public static int LiveContexts => Volatile.Read(ref s_live);

    /// <summary>Runs <paramref name="function"/> on <paramref name="inputs"/>, checkpointed when
    /// gradients are being recorded (otherwise it simply calls it). It must return new tensors.</summary>
    public static Tensor[] Apply(Func<Tensor[], Tensor[]> function, int outputs, params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        if (outputs < 1) throw new ArgumentOutOfRangeException(nameof(outputs), outputs, "must be ≥ 1");
        if (!Autograd.IsGradEnabled) return function(inputs);
        // The anchor requires grad, so the outputs join the graph even when no input does (the
        // parameters inside the function still need their gradients). The function never sees it.
        using var anchor = Tensor.Zeros([1]).RequiresGrad_();
        var all = inputs.Append(anchor).ToArray();
        var state = new State(function, all.Select(t => t.RequiresGrad).ToArray());
        var context = GCHandle.Alloc(state);
        Interlocked.Increment(ref s_live);
        var handles = all.Select(t => t.NativeHandle).ToArray();
        var results = new IntPtr[outputs];
        int status;
        fixed (IntPtr* pi = handles)
        fixed (IntPtr* po = results)
        {
            // From here the shim owns the context and releases it exactly once.
            status = Native.CallbackFunctionApply((IntPtr)(delegate* unmanaged<long, IntPtr*, int, IntPtr*, int, int>)&Forward,
                (IntPtr)(delegate* unmanaged<long, IntPtr*, int, IntPtr*, int, IntPtr*, int>)&Backward,
                (IntPtr)(delegate* unmanaged<long, void>)&Release, GCHandle.ToIntPtr(context), pi, handles.Length, po, outputs);
        }
        GC.KeepAlive(all);
        if (status != 0) ThrowPending(); // the function's own exception, if that is what failed
        Native.Check(status, "checkpoint");
        return results.Select(h => new Tensor(h)).ToArray();
    }

    /// <summary>Rethrows a callback's exception, if one is waiting (called after native passes that may call back).</summary>
    internal static void ThrowPending()
    {
        var pending = Interlocked.Exchange(ref s_pending, null);
        pending?.Throw();
    }

    private static Tensor Borrow(IntPtr handle)
    {
        Native.Check(Native.TensorShare(handle, out IntPtr own), "share");
        return new Tensor(own);
    }

    private static IntPtr Give(Tensor t)
    {
        Native.Check(Native.TensorShare(t.NativeHandle, out IntPtr own), "share");
        return own;
    }

    private static State Of(long context) => (State)GCHandle.FromIntPtr((IntPtr)context).Target!;

    [UnmanagedCallersOnly]
    private static int Forward(long context, IntPtr* inputs, int ninputs, IntPtr* outputs, int noutputs)
    {
        try
        {
            using var scope = new TensorScope();
            var state = Of(context);
            var x = Enumerable.Range(0, ninputs - 1).Select(k => Borrow(inputs[k])).ToArray();
            var y = state.Function(x);
            if (y.Length != noutputs) throw new InvalidOperationException($"the checkpointed function returned {y.Length} tensors, expected {noutputs}");
            for (int k = 0; k < noutputs; k++) outputs[k] = Give(y[k]);
            return 0;
        }
        catch (Exception e)
        {
            s_pending = ExceptionDispatchInfo.Capture(e);
            return 1;
        }
    }

    [UnmanagedCallersOnly]
    private static int Backward(long context, IntPtr* inputs, int ninputs, IntPtr* gradOutputs, int noutputs, IntPtr* gradInputs)
    {
        try
        {
            using var scope = new TensorScope();
            var state = Of(context);
            // Fresh leaves that require grad where the originals did: their .Grad is the input gradient.
            var x = Enumerable.Range(0, ninputs - 1).Select(k =>
            {
                var leaf = Borrow(inputs[k]).Detach();
                if (state.RequiresGrad[k]) leaf.RequiresGrad = true;
                return leaf;
            }).ToArray();
            Tensor[] y;
            using (Autograd.EnableGrad()) y = state.Function(x);
            var seeded = Enumerable.Range(0, noutputs).Where(k => y[k].RequiresGrad && gradOutputs[k] != IntPtr.Zero).ToArray();
            if (seeded.Length > 0)
                Autograd.Backward(seeded.Select(k => y[k]).ToArray(), seeded.Select(k => (Tensor?)Borrow(gradOutputs[k])).ToArray());
            for (int k = 0; k < ninputs; k++) gradInputs[k] = k < x.Length && x[k].Grad is { } g ? Give(g) : IntPtr.Zero;
            return 0;
        }
        catch (Exception e)
        {
            s_pending = ExceptionDispatchInfo.Capture(e);
            return 1;
        }
    }

    [UnmanagedCallersOnly]
    private static void Release(long context)
    {
        GCHandle.FromIntPtr((IntPtr)context).Free();
        Interlocked.Decrement(ref s_live);
    }
}
