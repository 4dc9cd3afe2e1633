using Icd.Torch.Nn;

namespace Icd.Torch.Tests;

public class TensorTests
{
    [Fact]
    public void DTypesConvert()
    {
        using var scope = new TensorScope();
        var f = Tensor.FromArray(new float[] { 1.25f, -2.5f, 3.75f });
        Assert.Equal(new long[] { 1, -2, 3 }, f.To(DType.Int64).ToArray<long>());
        Assert.Equal(new int[] { 1, -2, 3 }, f.To(DType.Int32).ToArray<int>());
        Assert.Equal(new byte[] { 1, 254, 3 }, f.To(DType.UInt8).ToArray<byte>());
        Assert.Equal(new[] { true, true, true }, f.To(DType.Bool).ToArray<bool>());
        Assert.Equal(new[] { (Half)1.25f, (Half)(-2.5f), (Half)3.75f }, f.To(DType.Float16).ToArray<Half>());
        Assert.Equal(new float[] { 1.25f, -2.5f, 3.75f }, f.To(DType.BFloat16).To(DType.Float32).ToArray<float>());
        Assert.Equal(new double[] { 1.25, -2.5, 3.75 }, f.To(DType.Float64).ToArray<double>());
        Assert.Equal(DType.Float16, f.To(DType.Float16).DType);
    }

    [Fact]
    public void ReadingWithTheWrongTypeSaysHowToFixIt()
    {
        using var t = Tensor.Ones([2], DType.Int64);
        var e = Assert.Throws<InvalidOperationException>(() => t.ToArray<float>());
        Assert.Contains("convert with To(Float32)", e.Message);
    }

    [Fact]
    public void ShapeErrorsNameTheOpAndShapes()
    {
        using var scope = new TensorScope();
        var a = Tensor.Ones([2, 3]);
        var b = Tensor.Ones([4, 5]);
        var e = Assert.Throws<TorchException>(() => a.Mm(b));
        Assert.Contains("aten::mm(Tensor[2, 3] float32, Tensor[4, 5] float32)", e.Message);
        Assert.True(e.Message.Contains("cannot be multiplied") || e.Message.Contains("shapes"), e.Message);
    }

    [Fact]
    public void CudaIsPassedThroughAndFailsClearlyWithoutIt()
    {
        if (TorchRuntime.CudaDeviceCount > 0) return; // a CUDA build: nothing to check here
        var e = Assert.Throws<TorchException>(() => Tensor.Zeros([2], device: Device.Cuda()));
        Assert.Contains("CUDA", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void DeviceParses()
    {
        Assert.Equal(Device.Cpu, Device.Parse("cpu"));
        Assert.Equal(Device.Cuda(1), Device.Parse("CUDA:1"));
        Assert.Throws<ArgumentException>(() => Device.Parse("tpu"));
    }

    [Fact]
    public void CreationOps()
    {
        using var scope = new TensorScope();
        Assert.Equal(new long[] { 2, 4, 6 }, Tensor.Arange(2, 8, 2).ToArray<long>());
        Assert.Equal(new float[] { 0, 0.25f, 0.5f, 0.75f, 1 }, Tensor.Linspace(0, 1, 5).ToArray<float>());
        Assert.Equal(new float[] { 7, 7 }, Tensor.Full([2], 7).ToArray<float>());
        Assert.Equal(new long[] { 2, 3 }, Tensor.Empty([2, 3]).Shape);
        Assert.Equal(3.5, Tensor.Scalar(3.5).Item());
        var x = Tensor.Ones([2, 3]);
        Assert.Equal(new float[] { 0, 0, 0, 0, 0, 0 }, Tensor.ZerosLike(x).ToArray<float>());
        Assert.Equal(12, Tensor.FullLike(x, 2).Sum().Item());
    }

    [Fact]
    public void ShapeOps()
    {
        using var scope = new TensorScope();
        var t = Tensor.Arange(24, DType.Float32).View(2, 3, 4);
        Assert.Equal(new long[] { 4, 3, 2 }, t.Permute(2, 1, 0).Shape);
        Assert.Equal(new long[] { 2, 1, 3, 4 }, t.Unsqueeze(1).Shape);
        Assert.Equal(new long[] { 2, 3, 4 }, t.Unsqueeze(1).Squeeze(1).Shape);
        Assert.Equal(new long[] { 2, 12 }, t.Flatten(1).Shape);
        Assert.Equal(new float[] { 4, 5, 6, 7 }, t.Select(0, 0).Select(0, 1).ToArray<float>());
        Assert.Equal(new float[] { 1, 3 }, t.Select(0, 0).Select(0, 0).Slice(0, 1, 4, 2).ToArray<float>());
        Assert.Equal(new float[] { 13, 14 }, t.Narrow(0, 1, 1).Narrow(2, 1, 2).Select(1, 0).Flatten().ToArray<float>());
        var parts = t.Split(3, 2);
        Assert.Equal(2, parts.Length);
        Assert.Equal(new long[] { 2, 3, 1 }, parts[1].Shape);
        Assert.Equal(new long[] { 3, 4 }, Tensor.Ones([1, 4]).Expand(3, 4).Shape);
        Assert.Equal(new float[] { 3, 2, 1 }, Tensor.FromArray(new float[] { 1, 2, 3 }).Flip(0).ToArray<float>());
        var idx = Tensor.FromArray(new long[] { 1, 0 });
        Assert.Equal(new float[] { 12, 0 }, t.Index(idx, Tensor.FromArray(new long[] { 0, 0 }), Tensor.FromArray(new long[] { 0, 0 })).ToArray<float>());
        Assert.Equal(new float[] { 1, 0, 0, 1 }, Tensor.Ones([2, 2]).Triu().Tril().ToArray<float>());
    }

    [Fact]
    public void ComparisonsAndMasking()
    {
        using var scope = new TensorScope();
        var t = Tensor.FromArray(new float[] { -1, 0, 2, float.NaN });
        Assert.Equal(new[] { false, false, true, false }, t.Gt(0).ToArray<bool>());
        Assert.Equal(new[] { false, false, false, true }, t.IsNan().ToArray<bool>());
        Assert.Equal(new[] { true, true, true, false }, t.IsFinite().ToArray<bool>());
        var masked = t.MaskedFill(t.IsNan(), 9);
        Assert.Equal(new float[] { -1, 0, 2, 9 }, masked.ToArray<float>());
        Assert.True(masked.Ge(-1).All());
        Assert.False(masked.Lt(-5).Any());
    }

    [Fact]
    public void ThreadCountIsSettable()
    {
        int before = TorchRuntime.Threads;
        TorchRuntime.Threads = 1;
        Assert.Equal(1, TorchRuntime.Threads);
        TorchRuntime.Threads = before;
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.Threads = 0);
        Assert.InRange(TorchRuntime.PhysicalCores(), 1, Environment.ProcessorCount);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("2", 2)]
    [InlineData(" 3 ", 3)]
    [InlineData("4,1", 4)] // OpenMP's nested list: the outer team counts
    [InlineData("0", null)]
    [InlineData("-2", null)]
    [InlineData("two", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void OmpNumThreadsSetsTheThreadCountWhenItIsAPositiveNumber(string? value, int? threads) =>
        Assert.Equal(threads, TorchRuntime.ThreadsFromEnvironment(value));

    [Fact]
    public void SmallNetworkThreadingIsRefusedOnceLibtorchHasLoaded()
    {
        using (var t = Tensor.Ones([1])) { } // libtorch is loaded from here on
        var e = Assert.Throws<InvalidOperationException>(TorchRuntime.UseSmallNetworkThreading);
        Assert.Contains("before the first tensor operation", e.Message);
    }

    [Fact]
    public void RuntimeReportsVersionAndBlas()
    {
        Assert.StartsWith("1.", TorchRuntime.Version);
        Assert.Contains("BLAS", TorchRuntime.BuildConfig);
        Assert.NotEqual("unknown", TorchRuntime.BlasLibrary());
    }
}
