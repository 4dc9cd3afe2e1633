using Icd.Checkpoints;
using Icd.Pipelines;
using Icd.Torch;
using Icd.Torch.Serialization;
using Xunit.Abstractions;

namespace Icd.Tests;

/// <summary>Issue 38: bfloat16 inference on the tiny reference models, against the reference's
/// float32 outputs, with the tolerance measured here; float32 is unchanged (the reference-parity
/// tests hold it to the reference case's own tolerances).</summary>
public class HalfPrecisionTests(ITestOutputHelper output)
{
    /// <summary>Relative error ‖actual − expected‖ / ‖expected‖ of the bf16 networks against the
    /// reference's float32 outputs. Measured here: UNet 2.3 % (tiny-sd) and 2.0 % (tiny-sdxl), text
    /// encoder 1.0 % and 0.9 % (bf16 keeps 8 mantissa bits); the bound is 3 %. The loader keeps the
    /// VAE in float32 (its bf16 decode measured 15–17 %), so the decode is the reference's to 1e-4.</summary>
    [Theory]
    [InlineData("tiny-sd")]
    [InlineData("tiny-sdxl")]
    public void Bf16NetworksStayCloseToTheFloat32Reference(string name)
    {
        string dir = Path.Combine(Paths.SharedReference, name);
        using var models = StableDiffusionLoader.Load(Path.Combine(dir, "model"), dtype: DType.BFloat16);
        using var tensors = SafetensorsFile.Open(Path.Combine(dir, "tensors.safetensors"));
        using var scope = new TensorScope();
        using var inference = Autograd.InferenceMode();
        double Relative(Tensor expected, Tensor actual)
        {
            Assert.Equal(DType.Float32, actual.DType); // networks hand float32 on
            return ((actual - expected).Norm() / expected.Norm()).Item();
        }
        string Key(string check, string part) => tensors.Names.First(k => k.StartsWith($"{check}/{part}", StringComparison.Ordinal));
        var unetCheck = tensors.Names.First(k => k.StartsWith("unet_", StringComparison.Ordinal) && k.EndsWith("/out/sample", StringComparison.Ordinal)).Split('/')[0];
        var sample = tensors.Load(Key(unetCheck, "in/sample"));
        var t = tensors.Load(Key(unetCheck, "in/timestep"));
        var text = tensors.Load(Key(unetCheck, "in/encoder_hidden_states"));
        var cond = tensors.Load(Key(unetCheck, "in/timestep_cond"));
        var added = models.IsXL ? new Icd.Denoising.AddedConditions(tensors.Load(Key(unetCheck, "in/text_embeds")), tensors.Load(Key(unetCheck, "in/time_ids"))) : null;
        double unet = Relative(tensors.Load(Key(unetCheck, "out/sample")), models.UNet.Forward(sample, t.Dim == 0 ? t.Unsqueeze(0) : t, text, cond, added));
        var decodeCheck = tensors.Names.First(k => k.StartsWith("vae_decode", StringComparison.Ordinal)).Split('/')[0];
        Assert.Equal(DType.Float32, models.Vae.ComputeType);
        double vae = Relative(tensors.Load(Key(decodeCheck, "out/image")), models.Vae.Decode(tensors.Load(Key(decodeCheck, "in/latent"))));
        var textCheck = tensors.Names.First(k => k.StartsWith("text_encoder_", StringComparison.Ordinal) && !k.StartsWith("text_encoder_2", StringComparison.Ordinal)).Split('/')[0];
        double encoder = Relative(tensors.Load(Key(textCheck, "out/last_hidden_state")), models.TextEncoder.Forward(tensors.Load(Key(textCheck, "in/input_ids"))));
        output.WriteLine($"{name} bf16 relative error: UNet {unet:P2}, VAE decode {vae:P2}, text encoder {encoder:P2}");
        Assert.True(unet < 0.03 && encoder < 0.03 && vae < 1e-4, $"UNet {unet:P2}, VAE {vae:P2}, text {encoder:P2}");
    }

    /// <summary>Every pipeline runs in bf16 and hands back images; the round trip stays near fp32's.</summary>
    [Fact]
    public void PipelinesRunInBf16()
    {
        using var fp32 = IcdModel.Load(Paths.TinySd, null, DType.Float32);
        using var bf16 = IcdModel.Load(Paths.TinySd, null, DType.BFloat16);
        Assert.Equal(DType.BFloat16, bf16.ComputeType);
        var image = PipelineTests.TestImage();
        var a = new IcdPipeline(fp32).Reconstruct(image, "a photo", new InversionOptions());
        var b = new IcdPipeline(bf16).Reconstruct(image, "a photo", new InversionOptions());
        output.WriteLine($"round trip PSNR fp32 {a.Psnr:F2} dB, bf16 {b.Psnr:F2} dB");
        Assert.True(double.IsFinite(b.Psnr) && Math.Abs(a.Psnr - b.Psnr) < 1.0, $"fp32 {a.Psnr:F2} dB, bf16 {b.Psnr:F2} dB");
        var edit = new IcdPipeline(bf16).Edit(image, "a red circle", "a blue circle",
            new EditOptions { PromptToPrompt = new Icd.Editing.PromptToPrompt.PromptToPromptOptions { Blend = ("red", "blue") } });
        Assert.Equal(8, edit.Nfe);
        var guided = new Icd.Editing.Guidance.GuidedEditor(bf16).Edit(image, "a red circle", "a blue circle", new Icd.Editing.Guidance.GuidedEditOptions());
        Assert.True(guided.BackwardPasses > 0);
    }

    /// <summary>How much bf16 inversion drifts from float32, step by step (issue 38 asks for the latent
    /// error per step before choosing what <c>auto</c> runs inversion in): the relative error of each
    /// forward step's latent on tiny-sd. Measured here: the VAE latent is float32 in both (0 %), then
    /// 2.6, 4.8, 9.3, 19.2 %: the error about doubles with every forward step, so the inverted noise
    /// is where bf16 costs most (README, "Half precision"); bound 25 %.</summary>
    [Fact]
    public void Bf16InversionErrorPerStep()
    {
        using var fp32 = IcdModel.Load(Paths.TinySd, null, DType.Float32);
        using var bf16 = IcdModel.Load(Paths.TinySd, null, DType.BFloat16);
        var image = PipelineTests.TestImage();
        using var a = new IcdPipeline(fp32).Invert(image, "a photo", new InversionOptions());
        using var b = new IcdPipeline(bf16).Invert(image, "a photo", new InversionOptions());
        Assert.Equal(a.Latents.Count, b.Latents.Count);
        using var scope = new TensorScope();
        var errors = a.Latents.Zip(b.Latents, (x, y) => ((y - x).Norm() / x.Norm()).Item()).ToList();
        output.WriteLine("bf16 inversion relative latent error per step: " + string.Join(", ", errors.Select(e => $"{e:P2}")));
        Assert.Equal(0, errors[0]);
        Assert.All(errors, e => Assert.True(e < 0.25, $"{e:P2}"));
    }
}
