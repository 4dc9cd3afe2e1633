namespace Icd.Torch.Tests;

public class AutogradTests
{
    [Fact]
    public void BackwardAccumulatesIntoLeaves()
    {
        using var scope = new TensorScope();
        var x = Tensor.FromArray(new float[] { 1, 2, 3 }).Clone().RequiresGrad_();
        var y = (x * x).Sum(); // dy/dx = 2x
        Autograd.Backward([y], retainGraph: true);
        Assert.Equal(new float[] { 2, 4, 6 }, x.Grad!.ToArray<float>());
        Autograd.Backward([y]);
        Assert.Equal(new float[] { 4, 8, 12 }, x.Grad!.ToArray<float>());
        x.Grad = null;
        Assert.Null(x.Grad);
    }

    [Fact]
    public void BackwardTwiceWithoutRetainGraphIsAnError()
    {
        using var scope = new TensorScope();
        var x = Tensor.Ones([2]).RequiresGrad_();
        var y = (x.Exp() * x).Sum();
        Autograd.Backward([y]);
        var e = Assert.Throws<TorchException>(() => Autograd.Backward([y]));
        Assert.Contains("second time", e.Message);
    }

    [Fact]
    public void GradWithCreateGraphGivesSecondDerivatives()
    {
        using var scope = new TensorScope();
        var x = Tensor.FromArray(new double[] { 2 }).Clone().RequiresGrad_();
        var y = x.Pow(3).Sum();
        var dy = Autograd.Grad([y], [x], createGraph: true)[0]!; // 3x² = 12
        Assert.Equal(12, dy.Item(), 10);
        var d2y = Autograd.Grad(dy.Sum(), x); // 6x = 12
        Assert.Equal(12, d2y.Item(), 10);
        Assert.Null(x.Grad); // grad() does not accumulate
    }

    [Fact]
    public void GradWithSeedForNonScalarOutputs()
    {
        using var scope = new TensorScope();
        var x = Tensor.FromArray(new float[] { 1, 2 }).Clone().RequiresGrad_();
        var y = x * 3.0;
        var g = Autograd.Grad([y], [x], [Tensor.FromArray(new float[] { 1, 10 })])[0]!;
        Assert.Equal(new float[] { 3, 30 }, g.ToArray<float>());
    }

    [Fact]
    public void UnusedInputsAreNullOnlyWhenAllowed()
    {
        using var scope = new TensorScope();
        var x = Tensor.Ones([2]).RequiresGrad_();
        var z = Tensor.Ones([2]).RequiresGrad_();
        var y = x.Sum();
        Assert.Null(Autograd.Grad([y], [x, z], retainGraph: true, allowUnused: true)[1]);
        Assert.Throws<TorchException>(() => Autograd.Grad([y], [x, z]));
    }

    [Fact]
    public void NoGradAndDetachStopRecording()
    {
        using var scope = new TensorScope();
        var x = Tensor.Ones([2]).RequiresGrad_();
        using (Autograd.NoGrad())
        {
            Assert.False(Autograd.IsGradEnabled);
            Assert.False((x * 2).RequiresGrad);
            using (Autograd.EnableGrad()) Assert.True((x * 2).RequiresGrad);
        }
        Assert.True(Autograd.IsGradEnabled);
        Assert.True((x * 2).RequiresGrad);
        Assert.False((x * 2).Detach().RequiresGrad);
    }

    [Fact]
    public void InferenceModeTensorsCannotJoinAutograd()
    {
        using var scope = new TensorScope();
        var w = Tensor.Ones([2]).RequiresGrad_();
        Tensor made;
        using (Autograd.InferenceMode()) made = Tensor.Ones([2]) * 2;
        Assert.False(made.RequiresGrad);
        var e = Assert.Throws<TorchException>(() => Autograd.Backward([(w * made).Sum()]));
        Assert.True(e.Message.Contains("nference"), e.Message);
    }
}

public partial class RuntimeEnvironmentTests
{
    [System.Runtime.InteropServices.LibraryImport("libc.so.6", EntryPoint = "getenv", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial IntPtr GetEnv(string name);

    [Fact]
    public void OpenMpThreadsWaitPassivelyUnlessTheUserChose()
    {
        using var t = Tensor.Ones([2]); // the first native call has happened by now
        string? native = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(GetEnv("OMP_WAIT_POLICY"));
        string? user = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        Assert.Equal(user ?? "PASSIVE", native);
    }
}
