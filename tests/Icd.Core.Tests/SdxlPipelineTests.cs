using Icd.Editing.PromptToPrompt;
using Icd.Pipelines;
using Icd.Sampling;
using Icd.Torch;
using Icd.Torch.Serialization;

namespace Icd.Tests;

/// <summary>The iCD pipelines on the tiny SDXL reference model (issue 39): the conditioning they feed
/// the UNet is the reference's, the family's defaults apply, and every pipeline runs end to end.</summary>
public sealed class SdxlPipelineTests : IDisposable
{
    private static string TinySdxl => Path.Combine(Paths.SharedReference, "tiny-sdxl");
    private readonly IcdModel _model = IcdModel.Load(Path.Combine(TinySdxl, "model"));

    public void Dispose() => _model.Dispose();

    [Fact]
    public void PromptConditioningIsTheReferencePipelines()
    {
        using var scope = new TensorScope();
        using var expected = SafetensorsFile.Open(Path.Combine(TinySdxl, "tensors.safetensors"));
        var (text, _) = _model.EncodePrompts("a photograph of an astronaut riding a horse");
        // StableDiffusionXLPipeline.encode_prompt's outputs for this prompt (reference README 4.9).
        AssertClose(expected.Load("sdxl_encode_prompt_default_negative/out/prompt_embeds"), text.States);
        AssertClose(expected.Load("sdxl_encode_prompt_default_negative/out/pooled_prompt_embeds"), text.Added!.TextEmbeds);
        // iCD-XL's micro-conditioning at the model's size: 32-cell latents × 2 pixels = 64.
        Assert.Equal(new float[] { 64, 64, 0, 0, 64, 64 }, text.Added.TimeIds.ToArray<float>());
    }

    [Fact]
    public void XLFolderGetsIcdXLDefaults()
    {
        Assert.True(_model.Networks.IsXL);
        Assert.Equal(new long[] { 19, 249, 499, 699, 999 }, _model.Boundaries.Forward.Select(s => s.T).Append(_model.Boundaries.Forward[^1].S));
        Assert.Equal(new long[] { 999, 699, 499, 249 }, _model.Boundaries.Reverse.Select(s => s.T));
        Assert.Equal(0.7, _model.Defaults.Tau);
        Assert.Equal(19, _model.Defaults.Guidance);
    }

    [Fact]
    public void EveryPipelineRunsOnSdxl()
    {
        var pipeline = new IcdPipeline(_model);
        var image = PipelineTests.TestImage();
        var recon = pipeline.Reconstruct(image, "a photo", new InversionOptions());
        Assert.Equal(8, recon.Nfe);
        Assert.Equal(64, recon.Reconstruction.Width);
        var generated = pipeline.Generate("a cat", new GenerateOptions { Seed = 3 });
        Assert.Equal(64, generated.Image.Height);
        var guidance = new GuidanceSchedule.Dynamic(7, 0.7);
        var p2p = pipeline.Edit(image, "a red circle", "a blue circle", new EditOptions
        {
            Guidance = guidance, PromptToPrompt = new PromptToPromptOptions { Blend = ("red", "blue") },
        });
        Assert.Equal("replace", p2p.Controller);
        Assert.Equal(8, p2p.Nfe);
        // The reference's SDXL edit: source prompt while t > 1000·τ, then the target with w.
        var sw = pipeline.Edit(image, "a red circle", "a blue circle", new EditOptions
        {
            Method = EditMethod.PromptSwitch, Guidance = guidance, SourcePromptAboveTau = 0.7,
        });
        Assert.Equal(64, sw.Image.Width);
        var ddim = new DdimPipeline(_model, 5).Reconstruct(image, "a photo", new InversionOptions());
        Assert.Equal(10, ddim.Nfe);
        // Inverse-and-Edit's guided editing: features and self-attention maps of SDXL's UNet.
        var guided = new Icd.Editing.Guidance.GuidedEditor(_model).Edit(image, "a red circle", "a blue circle", new Icd.Editing.Guidance.GuidedEditOptions());
        Assert.True(guided.BackwardPasses > 0);
        Assert.Equal(64, guided.Image.Width);
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        double err = (expected - actual).Abs().Max().Item();
        Assert.True(err < 1e-4, $"max abs error {err:E2}");
    }
}
