using Icd.Torch.Nn;

namespace Icd.Torch.Tests;

/// <summary>Native memory is released deterministically: scopes, disposal, and a long loop whose
/// resident set stays flat.</summary>
public class LifetimeTests
{
    private sealed class ConvAttentionBlock : Module
    {
        private readonly Conv2d _conv;
        private readonly GroupNorm _norm;
        private readonly Linear _q, _k, _v;

        public ConvAttentionBlock()
        {
            _conv = Child("conv", new Conv2d(4, 16, 3, padding: 1));
            _norm = Child("norm", new GroupNorm(4, 16));
            _q = Child("to_q", new Linear(16, 16));
            _k = Child("to_k", new Linear(16, 16));
            _v = Child("to_v", new Linear(16, 16));
        }

        public Tensor Forward(Tensor x)
        {
            var h = _norm.Forward(_conv.Forward(x)).Silu();
            var tokens = h.Flatten(2).Transpose(1, 2); // (B, HW, C)
            var attn = _q.Forward(tokens).Bmm(_k.Forward(tokens).Transpose(1, 2)).Mul(0.25).Softmax(-1);
            return attn.Bmm(_v.Forward(tokens));
        }
    }

    private static long RssBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        throw new InvalidOperationException("no VmRSS");
    }

    /// <summary>Finalizes tensors that earlier tests left to the GC, so that the resident set read
    /// next does not still hold them (handle counts use <see cref="Tensor.SettledLiveHandles"/>).</summary>
    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Fact]
    public void TenThousandForwardPassesKeepRssFlat()
    {
        using var block = new ConvAttentionBlock();
        using var gen = new Generator(1);
        using var x = Tensor.Randn([2, 4, 8, 8], gen);
        long handlesBefore = Tensor.SettledLiveHandles();
        long rssWarm = 0;
        for (int i = 0; i < 10_000; i++)
        {
            using (var scope = new TensorScope())
            {
                var y = block.Forward(x);
                var loss = y.Square().Mean();
                loss.Item();
            }
            if (i == 500)
            {
                Collect();
                rssWarm = RssBytes();
            }
        }
        long handlesAfter = Tensor.SettledLiveHandles();
        long growth = RssBytes() - rssWarm;
        Assert.Equal(handlesBefore, handlesAfter);
        Assert.True(growth < 16 << 20, $"RSS grew by {growth / 1024} KiB over 9,500 iterations");
    }

    [Fact]
    public void ScopeDisposesAllButMovedTensors()
    {
        long before = Tensor.SettledLiveHandles();
        Tensor kept;
        using (var outer = new TensorScope())
        {
            using (var inner = new TensorScope())
            {
                var a = Tensor.Ones([3]);
                var b = a + a;
                kept = (b * 3).MoveToOuterScope();
                Assert.Equal(2, inner.Count); // a and b; the product moved out
            }
            Assert.False(kept.IsDisposed);
            Assert.Equal(new float[] { 6, 6, 6 }, kept.ToArray<float>());
            Assert.Equal(1, outer.Count);
        }
        Assert.True(kept.IsDisposed);
        Assert.Equal(before, Tensor.SettledLiveHandles());
    }

    [Fact]
    public void DetachedTensorsOutliveTheirScope()
    {
        Tensor owned;
        using (new TensorScope()) owned = Tensor.Zeros([2]).DetachFromScope();
        Assert.False(owned.IsDisposed);
        owned.Dispose();
        Assert.Throws<ObjectDisposedException>(() => owned.Shape);
    }

    [Fact]
    public void UsingADisposedTensorIsAClearError()
    {
        var t = Tensor.Ones([2]);
        t.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => t + 1);
        Assert.Contains("disposed", e.Message);
    }

    [Fact]
    public void FromArrayIsZeroCopyAndReleasesThePin()
    {
        var data = new float[] { 1, 2, 3, 4 };
        using (var t = Tensor.FromArray(data, 2, 2))
        {
            using (Autograd.NoGrad()) t.Mul_(10);
        }
        Assert.Equal(new float[] { 10, 20, 30, 40 }, data);
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(data, 3, 2));
        Assert.Contains("holds 6 elements but the array has 4", e.Message);
    }
}
