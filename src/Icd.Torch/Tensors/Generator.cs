using System.Runtime.InteropServices;
using Icd.Torch.Interop;

namespace Icd.Torch;

/// <summary>
/// A seeded random generator: libtorch's CPU engine (mt19937), so
/// <c>new Generator(s)</c> then <c>Tensor.Randn(shape, generator)</c> gives the same numbers as
/// Python's <c>torch.manual_seed(s); torch.randn(shape)</c>.
/// </summary>
public sealed class Generator : IDisposable
{
    private readonly GeneratorHandle _handle;

    public Generator(ulong seed)
    {
        Native.Check(Native.GeneratorNew(seed, 0, out IntPtr h), "generator");
        _handle = new GeneratorHandle(h);
        Seed = seed;
    }

    public ulong Seed { get; }

    internal IntPtr NativeHandle
    {
        get
        {
            if (_handle.IsClosed) throw new ObjectDisposedException(nameof(Generator));
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>The engine state (a uint8 tensor), for checkpoints that resume bit-exactly.</summary>
    public Tensor GetState()
    {
        Native.Check(Native.GeneratorGetState(NativeHandle, out IntPtr state), "generator get_state");
        return new Tensor(state);
    }

    public void SetState(Tensor state)
    {
        Native.Check(Native.GeneratorSetState(NativeHandle, state.NativeHandle), "generator set_state");
        GC.KeepAlive(state);
    }

    public void Dispose() => _handle.Dispose();

    private sealed class GeneratorHandle : SafeHandle
    {
        public GeneratorHandle(IntPtr h) : base(IntPtr.Zero, true) => SetHandle(h);

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle() => Native.GeneratorFree(handle) == 0;
    }
}
