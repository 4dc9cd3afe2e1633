using System.Runtime.InteropServices;

namespace Icd.Torch.Interop;

/// <summary>The one place that declares the shim's exports (native/include/icd_shim.h).</summary>
/// <remarks>No <see cref="IntPtr"/> escapes this namespace: the rest of the library sees
/// <see cref="Tensor"/>, <see cref="Generator"/> and friends.</remarks>
internal static unsafe partial class Native
{
    private const string Lib = "icd_native";

    /// <summary>Runs before the first call into the shim, so before libtorch (and libgomp) load.</summary>
    static Native()
    {
        // libgomp reads OMP_WAIT_POLICY once, when it loads. By default idle OpenMP threads spin,
        // and they fight OpenBLAS's own pthreads for the cores during every matmul: measured on
        // 2 cores, Shapes training runs 1.5–2× faster and the SD1.5 UNet at batch 2 15 % faster with
        // passive waiting. A value the user set is left alone.
        SetNativeEnvironmentDefault("OMP_WAIT_POLICY", "PASSIVE");
    }

    [LibraryImport("libc.so.6", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>Sets a variable in the native environment (which libraries read with getenv) unless it is set.
    /// .NET's own Environment.SetEnvironmentVariable does not reach it.</summary>
    internal static void SetNativeEnvironmentDefault(string name, string value)
    {
        try
        {
            SetEnv(name, value, 0); // overwrite 0: a value the user set wins
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: the libraries keep their defaults.
        }
    }

    /// <summary>Mirror of <c>icd_arg</c>: one boxed dispatcher argument or result.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IcdArg
    {
        public ArgKind Kind;
        public int Aux;
        public long I;
        public double D;
        public IntPtr P;
    }

    internal enum ArgKind
    {
        None = 0,
        Tensor = 1,
        Int = 2,
        Double = 3,
        Bool = 4,
        IntList = 5,
        DoubleList = 6,
        TensorList = 7,
        OptionalTensorList = 8,
        String = 9,
        Device = 10,
        Generator = 11,
        BoolList = 12,
    }

    [LibraryImport(Lib, EntryPoint = "icd_last_error")]
    private static partial IntPtr LastErrorPtr();

    /// <summary>Turns a failed status into an exception that names the operation.</summary>
    internal static void Check(int status, string operation)
    {
        if (status != 0) throw new TorchException(operation, LastError());
    }

    /// <summary>Like <see cref="Check(int, string)"/>, with a description built only on failure.
    /// The native message is read first: describing the operation calls into the shim again,
    /// which clears the thread's error slot.</summary>
    internal static void Check(int status, Func<string> operation)
    {
        if (status == 0) return;
        string message = LastError();
        throw new TorchException(operation(), message);
    }

    internal static string LastError() => Marshal.PtrToStringUTF8(LastErrorPtr()) ?? "(no message)";

    [LibraryImport(Lib, EntryPoint = "icd_torch_version")]
    internal static partial int TorchVersion(byte* buffer, int capacity);

    [LibraryImport(Lib, EntryPoint = "icd_show_config")]
    internal static partial int ShowConfig(byte* buffer, int capacity, out int needed);

    [LibraryImport(Lib, EntryPoint = "icd_set_num_threads")]
    internal static partial int SetNumThreads(int n);

    [LibraryImport(Lib, EntryPoint = "icd_get_num_threads")]
    internal static partial int GetNumThreads(out int n);

    [LibraryImport(Lib, EntryPoint = "icd_cuda_device_count")]
    internal static partial int CudaDeviceCount(out int n);

    [LibraryImport(Lib, EntryPoint = "icd_manual_seed")]
    internal static partial int ManualSeed(ulong seed);

    [LibraryImport(Lib, EntryPoint = "icd_live_tensor_handles")]
    internal static partial int LiveTensorHandles(out long n);

    [LibraryImport(Lib, EntryPoint = "icd_profile_begin", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ProfileBegin(string path, out IntPtr recording);

    [LibraryImport(Lib, EntryPoint = "icd_profile_end")]
    internal static partial int ProfileEnd(IntPtr recording);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_free")]
    internal static partial int TensorFree(IntPtr tensor);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_dim")]
    internal static partial int TensorDim(IntPtr tensor, out long dim);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_sizes")]
    internal static partial int TensorSizes(IntPtr tensor, long* sizes, int capacity);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_strides")]
    internal static partial int TensorStrides(IntPtr tensor, long* strides, int capacity);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_dtype")]
    internal static partial int TensorDType(IntPtr tensor, out int dtype);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_device")]
    internal static partial int TensorDevice(IntPtr tensor, out int type, out int index);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_requires_grad")]
    internal static partial int TensorRequiresGrad(IntPtr tensor, out int requiresGrad);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_is_leaf")]
    internal static partial int TensorIsLeaf(IntPtr tensor, out int isLeaf);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_data_ptr")]
    internal static partial int TensorDataPtr(IntPtr tensor, out IntPtr data);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_share")]
    internal static partial int TensorShare(IntPtr tensor, out IntPtr shared);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_from_blob")]
    internal static partial int TensorFromBlob(IntPtr data, long* sizes, int ndim, int dtype,
        delegate* unmanaged<IntPtr, void> deleter, IntPtr context, out IntPtr tensor);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_grad")]
    internal static partial int TensorGrad(IntPtr tensor, out IntPtr grad);

    [LibraryImport(Lib, EntryPoint = "icd_tensor_set_grad")]
    internal static partial int TensorSetGrad(IntPtr tensor, IntPtr grad);

    [LibraryImport(Lib, EntryPoint = "icd_op_find", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OpFind(string name, string overload, out IntPtr op);

    [LibraryImport(Lib, EntryPoint = "icd_op_call")]
    internal static partial int OpCall(IntPtr op, IcdArg* args, int nargs, IcdArg* results,
        int capacity, out int nresults);

    [LibraryImport(Lib, EntryPoint = "icd_autograd_backward")]
    internal static partial int AutogradBackward(IntPtr* tensors, IntPtr* grads, int n,
        int retainGraph, int createGraph);

    [LibraryImport(Lib, EntryPoint = "icd_autograd_grad")]
    internal static partial int AutogradGrad(IntPtr* outputs, IntPtr* gradOutputs, int noutputs,
        IntPtr* inputs, int ninputs, int retainGraph, int createGraph, int allowUnused,
        IntPtr* results);

    [LibraryImport(Lib, EntryPoint = "icd_callback_function_apply")]
    internal static partial int CallbackFunctionApply(IntPtr forward, IntPtr backward, IntPtr release, long context,
        IntPtr* inputs, int ninputs, IntPtr* outputs, int noutputs);

    [LibraryImport(Lib, EntryPoint = "icd_grad_mode_set")]
    internal static partial int GradModeSet(int enabled, out int previous);

    [LibraryImport(Lib, EntryPoint = "icd_grad_mode_get")]
    internal static partial int GradModeGet(out int enabled);

    [LibraryImport(Lib, EntryPoint = "icd_inference_mode_enter")]
    internal static partial int InferenceModeEnter(out IntPtr guard);

    [LibraryImport(Lib, EntryPoint = "icd_inference_mode_exit")]
    internal static partial int InferenceModeExit(IntPtr guard);

    [LibraryImport(Lib, EntryPoint = "icd_autocast_cpu_enter")]
    internal static partial int AutocastCpuEnter(int dtype, out int previousEnabled, out int previousDtype);

    [LibraryImport(Lib, EntryPoint = "icd_autocast_cpu_exit")]
    internal static partial int AutocastCpuExit(int previousEnabled, int previousDtype);

    [LibraryImport(Lib, EntryPoint = "icd_dist_init", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int DistInit(string masterAddr, int masterPort, int rank, int worldSize, long timeoutMs, string? iface, out IntPtr group);

    [LibraryImport(Lib, EntryPoint = "icd_dist_free")]
    internal static partial int DistFree(IntPtr group);

    [LibraryImport(Lib, EntryPoint = "icd_dist_broadcast")]
    internal static partial int DistBroadcast(IntPtr group, IntPtr tensor, int root);

    [LibraryImport(Lib, EntryPoint = "icd_dist_allreduce_sum")]
    internal static partial int DistAllReduceSum(IntPtr group, IntPtr tensor);

    [LibraryImport(Lib, EntryPoint = "icd_dist_allgather")]
    internal static partial int DistAllGather(IntPtr group, IntPtr input, IntPtr* outputs, int worldSize);

    [LibraryImport(Lib, EntryPoint = "icd_dist_barrier")]
    internal static partial int DistBarrier(IntPtr group);

    [LibraryImport(Lib, EntryPoint = "icd_generator_new")]
    internal static partial int GeneratorNew(ulong seed, int deviceType, out IntPtr generator);

    [LibraryImport(Lib, EntryPoint = "icd_generator_free")]
    internal static partial int GeneratorFree(IntPtr generator);

    [LibraryImport(Lib, EntryPoint = "icd_generator_get_state")]
    internal static partial int GeneratorGetState(IntPtr generator, out IntPtr state);

    [LibraryImport(Lib, EntryPoint = "icd_generator_set_state")]
    internal static partial int GeneratorSetState(IntPtr generator, IntPtr state);
}
