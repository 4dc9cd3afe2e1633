using Icd.Denoising;
using Icd.Shapes;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Tests;

/// <summary>UNet activation checkpointing gives the plain graph's gradients, for every parameter
/// and for the input, and stays out of the way when no graph is recorded.</summary>
public class GradientCheckpointingTests
{
    private static (Dictionary<string, float[]> Params, float[] Input, float[] Output) Gradients(bool checkpointed)
    {
        using var scope = new TensorScope();
        UNet2DConditionModel unet;
        using (Init.Seed(4)) unet = new UNet2DConditionModel(ShapesModelConfigs.UNet());
        using var _ = unet;
        unet.GradientCheckpointing = checkpointed;
        using var gen = new Generator(8);
        var x = Tensor.Randn([2, 4, 16, 16], gen).RequiresGrad_();
        var ctx = Tensor.Randn([2, 77, 64], gen);
        var seed = Tensor.Randn([2, 4, 16, 16], gen);
        var y = unet.Forward(x, Tensor.FromValues(new long[] { 100, 700 }), ctx);
        Autograd.Backward([(y * seed).Sum()]);
        return (unet.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToArray<float>()), x.Grad!.ToArray<float>(), y.ToArray<float>());
    }

    [Fact]
    public void GradientsMatchTheUncheckpointedUNet()
    {
        var plain = Gradients(false);
        var ckpt = Gradients(true);
        Assert.Equal(plain.Output, ckpt.Output); // the forward pass is the same computation
        static void Close(string what, float[] a, float[] b)
        {
            double scale = a.Max(v => Math.Abs(v)) + 1e-12;
            double diff = a.Zip(b, (p, q) => Math.Abs(p - q)).Max();
            Assert.True(diff <= 1e-5 * scale, $"{what}: max diff {diff:E2} vs scale {scale:E2}");
        }
        Close("input", plain.Input, ckpt.Input);
        Assert.Equal(plain.Params.Keys, ckpt.Params.Keys);
        foreach (var (name, g) in plain.Params) Close(name, g, ckpt.Params[name]);
    }

    [Fact]
    public void NoGraphMeansNoCheckpoint()
    {
        using var scope = new TensorScope();
        UNet2DConditionModel unet;
        using (Init.Seed(4)) unet = new UNet2DConditionModel(ShapesModelConfigs.UNet());
        using var _ = unet;
        unet.GradientCheckpointing = true;
        int contexts = Checkpoint.LiveContexts;
        using var noGrad = Autograd.NoGrad();
        var y = unet.Forward(Tensor.Zeros([1, 4, 16, 16]), 10, Tensor.Zeros([1, 77, 64]));
        Assert.Equal(contexts, Checkpoint.LiveContexts);
        Assert.False(y.RequiresGrad);
    }

    [Fact]
    public void RecomputeUsesTheAdapterActiveInTheFirstPass()
    {
        // iCD's cycle: forward student, then reverse student, then backward through both.
        Dictionary<string, float[]> Run(bool checkpointed)
        {
            using var scope = new TensorScope();
            UNet2DConditionModel unet;
            using (Init.Seed(6)) unet = new UNet2DConditionModel(ShapesModelConfigs.UNet());
            using var _ = unet;
            unet.SetRequiresGrad(false);
            using (Init.Seed(7))
            {
                Icd.Lora.UNetLora.CreateTrainable(unet, "forward", Icd.Lora.LoraTargets.Icd, 4, 4);
                Icd.Lora.UNetLora.CreateTrainable(unet, "reverse", Icd.Lora.LoraTargets.Icd, 4, 4);
            }
            // B starts at zero in LoRA; give both adapters non-zero B so each one changes the output.
            using (Autograd.NoGrad())
                foreach (var name in new[] { "forward", "reverse" })
                    foreach (var a in Icd.Lora.UNetLora.Adapters(unet, name).Values) a.B.Fill_(name == "forward" ? 0.01 : -0.02);
            unet.GradientCheckpointing = checkpointed;
            using var gen = new Generator(9);
            var x = Tensor.Randn([1, 4, 16, 16], gen);
            var ctx = Tensor.Randn([1, 77, 64], gen);
            Icd.Lora.UNetLora.Activate(unet, "forward");
            var noise = unet.Forward(x, 300, ctx);
            Icd.Lora.UNetLora.Activate(unet, "reverse");
            var back = unet.Forward(x + noise, 600, ctx);
            Icd.Lora.UNetLora.Activate(unet, null);
            Autograd.Backward([back.Square().Sum()]);
            return new[] { "forward", "reverse" }.SelectMany(n => Icd.Lora.UNetLora.Parameters(unet, n).Select((p, i) => ($"{n}{i}", p.Grad!.ToArray<float>())))
                .ToDictionary(p => p.Item1, p => p.Item2);
        }
        var plain = Run(false);
        var ckpt = Run(true);
        double scale = plain.Values.Max(g => g.Max(v => Math.Abs(v))); // one scale: some adapter gradients are ~0
        foreach (var (name, g) in plain)
        {
            double diff = g.Zip(ckpt[name], (p, q) => Math.Abs(p - q)).Max();
            Assert.True(diff <= 1e-4 * scale, $"{name}: max diff {diff:E2} vs scale {scale:E2}");
        }
    }
}
