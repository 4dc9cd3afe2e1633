using Icd.Torch;

namespace Icd.Torch.Tests;

public class SmokeTests
{
    [Fact]
    public void AddsAndReads()
    {
        using var scope = new TensorScope();
        var a = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = a + a * 2;
        Assert.Equal(new float[] { 3, 6, 9, 12 }, b.ToArray<float>());
        Assert.Equal(new long[] { 2, 2 }, b.Shape);
    }
}
