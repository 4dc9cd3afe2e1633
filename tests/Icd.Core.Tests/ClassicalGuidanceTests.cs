using Icd.Blocks;
using Icd.Checkpoints;
using Icd.Denoising;
using Icd.Pipelines;
using Icd.Sampling;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Tests;

/// <summary>A plain (not guidance-distilled) teacher, as `icd shapes build` trains before guidance
/// distillation or a diffusers SD1.5 folder: classical CFG from the model's own empty-prompt
/// embedding, and Prompt-to-Prompt only on the conditional pass.</summary>
public sealed class ClassicalGuidanceTests : IDisposable
{
    private readonly IcdModel _model;
    private readonly UNet2DConditionModel _unet;

    public ClassicalGuidanceTests()
    {
        var loaded = StableDiffusionLoader.Load(Paths.TinySd);
        using (Init.Seed(5)) _unet = new UNet2DConditionModel(loaded.UNet.Config with { TimeCondProjDim = null });
        loaded.UNet.Dispose();
        var networks = new StableDiffusionModels
        {
            Tokenizer = loaded.Tokenizer, TextEncoder = loaded.TextEncoder, UNet = _unet, Vae = loaded.Vae,
            Schedule = loaded.Schedule, Directory = loaded.Directory,
        };
        _model = IcdModel.FromNetworks(networks, new IcdManifest { Base = Paths.TinySd }, "plain tiny-sd");
    }

    public void Dispose() => _model.Dispose();

    private sealed class CountingController : IAttentionController
    {
        public int Calls { get; private set; }
        public void BeginStep(int step) { }
        public Tensor Process(AttentionSite site, Tensor probabilities) { Calls++; return probabilities.Share(); }
        public void EndStep() { }
    }

    [Fact]
    public void ClassicalCfgIsUnconditionalPlusScaleTimesTheDifference()
    {
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        using var g = new Generator(3);
        var x = Tensor.Randn([1, 4, 8, 8], g);
        var (text, _) = _model.EncodePrompts("a red circle");
        var (empty, _) = _model.EncodePrompts("");
        var guided = _model.Teacher.Epsilon(x, 500, text, [2]);
        var c = _unet.Forward(x, 500, text.States);
        var u = _unet.Forward(x, 500, empty.States);
        var expected = u + (c - u) * 3.0; // w = 2 embedded is classical scale 3
        Assert.True((guided - expected).Abs().Max().Item() < 1e-5);
    }

    [Fact]
    public void AttentionControllerSeesOnlyTheConditionalPass()
    {
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        using var g = new Generator(4);
        var x = Tensor.Randn([2, 4, 8, 8], g);
        var (text, _) = _model.EncodePrompts("a red circle", "a blue circle");
        var counter = new CountingController();
        using (_unet.UseController(counter))
        {
            _model.Teacher.Epsilon(x, 500, text, [0, 0]);
            int unguided = counter.Calls;
            Assert.True(unguided > 0);
            _model.Teacher.Epsilon(x, 500, text, [2, 2]);
            Assert.Equal(2 * unguided, counter.Calls);
            _model.Teacher.Epsilon(x, 500, text, [0, 0]); // the controller is back after the unconditional pass
            Assert.Equal(3 * unguided, counter.Calls);
        }
    }

    [Fact]
    public void DdimPromptToPromptEditRunsWithClassicalGuidance()
    {
        var options = new EditOptions { Guidance = GuidanceSchedule.Constant(3) };
        var edit = new DdimPipeline(_model, steps: 4).Edit(PipelineTests.TestImage(64), "a red circle", "a blue circle", options);
        Assert.Equal(64, edit.Image.Width);
    }

    /// <summary>Negative-prompt inversion: CFG against the source prompt, ε_src + s(ε_c − ε_src).
    /// With the target equal to the source the guidance vanishes whatever s is, so the edit is the
    /// unguided DDIM reconstruction (to a grey level: the edit runs a batch of two); each guided step
    /// costs two UNet passes.</summary>
    [Fact]
    public void NegativePromptInversionWithTheSourceAsTargetReconstructs()
    {
        var pipeline = new DdimPipeline(_model, steps: 4);
        var image = PipelineTests.TestImage(64);
        var options = new EditOptions { Guidance = GuidanceSchedule.Constant(7) };
        var edit = pipeline.Edit(image, "a red circle", "a red circle", options, negativePromptInversion: true);
        var reconstruction = pipeline.Reconstruct(image, "a red circle", new InversionOptions());
        int worst = edit.Image.Pixels.Zip(reconstruction.Reconstruction.Pixels).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= 1, $"NPI with target = source differs from the unguided reconstruction by {worst} grey levels");
        Assert.Equal(4 + 2 * 4, edit.Nfe);
        var ordinary = pipeline.Edit(image, "a red circle", "a red circle", options);
        Assert.True(ordinary.Image.Pixels.Zip(reconstruction.Reconstruction.Pixels).Max(p => Math.Abs(p.First - p.Second)) > 1,
            "plain CFG against the empty prompt should move the target branch away from the reconstruction");
    }

    [Fact]
    public void NegativePromptInversionRefusesAGuidanceDistilledTeacher()
    {
        using var distilled = IcdModel.FromNetworks(StableDiffusionLoader.Load(Paths.TinySd), new IcdManifest { Base = Paths.TinySd }, "tiny-sd");
        var e = Assert.Throws<InvalidOperationException>(() => new DdimPipeline(distilled, steps: 4).Edit(PipelineTests.TestImage(64), "a", "b", new EditOptions(), negativePromptInversion: true));
        Assert.Contains("plain teacher", e.Message);
    }
}
