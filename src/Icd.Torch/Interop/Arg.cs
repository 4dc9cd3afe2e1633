namespace Icd.Torch.Interop;

/// <summary>One argument of a dispatcher call, before boxing. Implicit conversions let op
/// wrappers read like the schema they call: <c>Op("aten::add", "Tensor").Call(self, other, 1)</c>.</summary>
internal readonly struct Arg
{
    internal readonly Native.ArgKind Kind;
    internal readonly long I;
    internal readonly double D;
    internal readonly int Aux;
    internal readonly object? Obj;

    private Arg(Native.ArgKind kind, long i = 0, double d = 0, int aux = 0, object? obj = null)
    {
        Kind = kind;
        I = i;
        D = d;
        Aux = aux;
        Obj = obj;
    }

    public static readonly Arg None = new(Native.ArgKind.None);

    public static implicit operator Arg(Tensor? t) => t is null ? None : new(Native.ArgKind.Tensor, obj: t);
    public static implicit operator Arg(long v) => new(Native.ArgKind.Int, i: v);
    public static implicit operator Arg(int v) => new(Native.ArgKind.Int, i: v);
    public static implicit operator Arg(double v) => new(Native.ArgKind.Double, d: v);
    public static implicit operator Arg(bool v) => new(Native.ArgKind.Bool, i: v ? 1 : 0);
    public static implicit operator Arg(long[] v) => new(Native.ArgKind.IntList, obj: v);
    public static implicit operator Arg(double[] v) => new(Native.ArgKind.DoubleList, obj: v);
    public static implicit operator Arg(bool[] v) => new(Native.ArgKind.BoolList, obj: v);
    public static implicit operator Arg(Tensor[] v) => new(Native.ArgKind.TensorList, obj: v);
    public static implicit operator Arg(string v) => new(Native.ArgKind.String, obj: v);
    public static implicit operator Arg(Device v) => new(Native.ArgKind.Device, i: (long)v.Type, aux: v.Index);
    public static implicit operator Arg(Generator? g) => g is null ? None : new(Native.ArgKind.Generator, obj: g);
    public static implicit operator Arg(DType v) => new(Native.ArgKind.Int, i: (long)v);

    /// <summary>An optional int (None when null).</summary>
    public static Arg Optional(long? v) => v is null ? None : new(Native.ArgKind.Int, i: v.Value);

    /// <summary>An optional double (None when null).</summary>
    public static Arg Optional(double? v) => v is null ? None : new(Native.ArgKind.Double, d: v.Value);

    /// <summary>An optional dtype (None when null).</summary>
    public static Arg Optional(DType? v) => v is null ? None : new(Native.ArgKind.Int, i: (long)v.Value);

    /// <summary>A <c>Tensor?[]</c> list, as aten::index takes.</summary>
    public static Arg OptionalTensors(Tensor?[] v) => new(Native.ArgKind.OptionalTensorList, obj: v);

    /// <summary>Describes the argument for error messages: shapes and dtypes of tensors.</summary>
    public override string ToString() => Kind switch
    {
        Native.ArgKind.None => "None",
        Native.ArgKind.Tensor => ((Tensor)Obj!).Describe(),
        Native.ArgKind.Int => I.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Native.ArgKind.Double => D.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        Native.ArgKind.Bool => I != 0 ? "True" : "False",
        Native.ArgKind.IntList => "[" + string.Join(", ", (long[])Obj!) + "]",
        Native.ArgKind.DoubleList => "[" + string.Join(", ", (double[])Obj!) + "]",
        Native.ArgKind.BoolList => "[" + string.Join(", ", (bool[])Obj!) + "]",
        Native.ArgKind.TensorList => "[" + string.Join(", ", ((Tensor[])Obj!).Select(t => t.Describe())) + "]",
        Native.ArgKind.OptionalTensorList => "[" + string.Join(", ", ((Tensor?[])Obj!).Select(t => t?.Describe() ?? "None")) + "]",
        Native.ArgKind.String => $"'{Obj}'",
        Native.ArgKind.Device => new Device((DeviceType)I, Aux).ToString(),
        Native.ArgKind.Generator => "Generator",
        _ => Kind.ToString(),
    };
}
