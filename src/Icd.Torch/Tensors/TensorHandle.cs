using System.Runtime.InteropServices;
using Icd.Torch.Interop;

namespace Icd.Torch;

/// <summary>Owns one <c>at::Tensor*</c> from the shim. Releasing it drops libtorch's reference;
/// the storage is freed when no other tensor shares it.</summary>
internal sealed class TensorHandle : SafeHandle
{
    public TensorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => Native.TensorFree(handle) == 0;
}
