namespace Icd.Torch;

/// <summary>A libtorch call failed. The message names the operation and repeats libtorch's
/// own explanation (which names the shapes or dtypes involved).</summary>
public sealed class TorchException : Exception
{
    public TorchException(string operation, string nativeMessage)
        : base($"{operation} failed: {nativeMessage.Trim()}")
    {
        Operation = operation;
        NativeMessage = nativeMessage;
    }

    /// <summary>The operation that failed, e.g. <c>aten::conv2d</c>.</summary>
    public string Operation { get; }

    /// <summary>libtorch's message, without its C++ backtrace.</summary>
    public string NativeMessage { get; }
}
