namespace Icd.Torch;

/// <summary>Device types; values are c10::DeviceType's.</summary>
public enum DeviceType
{
    Cpu = 0,
    Cuda = 1,
    /// <summary>Shapes and dtypes without storage: builds full-size networks to count and name their parameters.</summary>
    Meta = 14,
}

/// <summary>Where a tensor lives. <c>cuda</c> is passed through to libtorch, which says clearly
/// when the build has no CUDA.</summary>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    public static readonly Device Cpu = new(DeviceType.Cpu);
    public static readonly Device Meta = new(DeviceType.Meta);

    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return Cpu;
        if (t == "cuda") return Cuda();
        if (t.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(t[5..], out int i) && i >= 0)
            return Cuda(i);
        throw new ArgumentException($"unknown device '{text}': expected cpu, cuda or cuda:N", nameof(text));
    }

    public override string ToString() =>
        Type == DeviceType.Cpu ? "cpu" : Type == DeviceType.Meta ? "meta" : Index < 0 ? "cuda" : $"cuda:{Index}";
}
