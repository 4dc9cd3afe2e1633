using Icd.Blocks;
using Icd.Checkpoints;
using Icd.Editing.Guidance;
using Icd.Pipelines;
using Icd.Sampling;
using Icd.Torch;

namespace Icd.Tests;

/// <summary>Inverse-and-Edit guidance (METHOD C2) on the tiny model.</summary>
public sealed class GuidanceTests : IDisposable
{
    private readonly IcdModel _model;

    public GuidanceTests()
    {
        var networks = StableDiffusionLoader.Load(Paths.TinySd);
        _model = IcdModel.FromNetworks(networks, new IcdManifest { Base = Paths.TinySd }, "tiny-sd");
    }

    public void Dispose() => _model.Dispose();

    [Theory]
    [InlineData(0.5, 2.0, 0, 1, 1.0)]     // r = 0.25 inside [0, 1]: k = 1
    [InlineData(3.0, 2.0, 0, 1, 1 / 1.5)] // r = 1.5 capped at 1: k = 1/1.5
    [InlineData(0.1, 2.0, 0.33, 3, 0.33 / 0.05)] // r = 0.05 raised to 0.33
    [InlineData(0.0, 2.0, 0, 1, 1.0)]     // zero gradient: k = 1
    [InlineData(1.0, 0.0, 0, 1, 0.0)]     // ε_trg = ε_inv: nothing to scale against
    public void RescaleRule(double gradientNorm, double referenceNorm, double lo, double hi, double k)
    {
        Assert.Equal(k, NoiseRescale.Factor(gradientNorm, referenceNorm, lo, hi), 12);
    }

    [Fact]
    public void TheCfgScheduleIsThePapersScaledToEndAtTheModelsGuidance()
    {
        Assert.Equal([0, 7, 11, 19], GuidedEditOptions.ScheduleEndingAt(19));
        var shapes = GuidedEditOptions.ScheduleEndingAt(3); // 0, 21/19, 33/19, 3
        double[] expected = [0, 1.1052631578947, 1.7368421052632, 3];
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], shapes[i], 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => GuidedEditOptions.ScheduleEndingAt(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => GuidedEditOptions.ScheduleEndingAt(double.NaN));
    }

    [Fact]
    public void RescaleOnTensorsUsesWholeTensorNorms()
    {
        using var scope = new TensorScope();
        var g = Tensor.FromArray(new float[] { 3, 4 });          // ‖∇‖ = 5
        var trg = Tensor.FromArray(new float[] { 1, 1 });
        var inv = Tensor.FromArray(new float[] { 1, -1 });       // ‖ε_trg − ε_inv‖ = 2
        Assert.Equal(2.0 / 5.0, NoiseRescale.Factor(g, trg, inv, 0, 1), 6); // r = 2.5 → 1, k = 0.4
    }

    [Theory]
    [InlineData(null)] // the model's forward start (19 here)
    [InlineData(0L)]   // the paper's Inverse-and-Edit start
    public void ZeroWeightsEqualThePlainPromptSwitchEdit(long? start)
    {
        Assert.Equal(19, _model.Boundaries.ForwardStart);
        var options = new GuidedEditOptions { FeatureWeights = [0, 0, 0, 0], AttentionWeights = [0, 0, 0, 0], MatchColors = false, Seed = 7, ForwardStart = start };
        var guided = new GuidedEditor(_model).Edit(PipelineTests.TestImage(), "a red circle", "a blue circle", options);
        var plain = new IcdPipeline(_model).Edit(PipelineTests.TestImage(), "a red circle", "a blue circle", new EditOptions
        {
            Method = EditMethod.PromptSwitch,
            Guidance = new GuidanceSchedule.PerStep(options.CfgSchedule),
            Inversion = new InversionOptions { Seed = 7, StartTimestep = start ?? 19 },
        });
        Assert.Equal(plain.Image.Pixels, guided.Image.Pixels);
        Assert.Equal(0, guided.BackwardPasses);
        Assert.Equal(8, guided.Nfe);
    }

    [Fact]
    public void GuidedEditRunsAndReportsCost()
    {
        var r = new GuidedEditor(_model).Edit(PipelineTests.TestImage(), "a red circle", "a blue circle", new GuidedEditOptions());
        Assert.Equal(4 + 4 * 3, r.Nfe);
        Assert.Equal(1 + 3 * 2, r.BackwardPasses); // step 0: features only; then features and self-attention
        Assert.All(r.RescaleFactors, k => Assert.InRange(k, 0, 1e12));
    }

    [Fact]
    public void RecordsEverySelfAttentionLayer()
    {
        using var scope = new TensorScope();
        using var gen = new Generator(2);
        var unet = _model.Networks.UNet;
        var records = new GuidanceRecords();
        using (unet.UseController(new SelfAttentionRecorder(records, 0)))
        using (Autograd.NoGrad())
            unet.Forward(Tensor.Randn([2, 4, 16, 16], gen), 500, Tensor.Randn([2, 77, 32], gen), Icd.Denoising.Embeddings.GuidanceScale([0.0, 0.0], 32));
        // tiny-sd: 1 cross-attention down block (2 layers), mid (1), 1 cross-attention up block (3 layers).
        Assert.Equal(unet.Hooks.AttentionCount(AttentionKind.Self), records.SelfAttention.Count);
        Assert.Equal(6, records.SelfAttention.Count);
        Assert.Equal(new long[] { 1, 8, 256, 256 }, records.SelfAttention[0].Shape);    // 16×16 queries, 8 heads
        Assert.Equal(new long[] { 1, 8, 64, 64 }, records.SelfAttention[2].Shape);      // mid block at 8×8
        records.Dispose();
    }

    [Fact]
    public void EnergyGradientMatchesFiniteDifferences()
    {
        // In float64 so that central differences are meaningful.
        _model.Networks.UNet.To(DType.Float64);
        try
        {
            var editor = new GuidedEditor(_model);
            using var scope = new TensorScope();
            using var gen = new Generator(9);
            var zStar = Tensor.Randn([1, 4, 8, 8], gen, DType.Float64);
            var z = (zStar + Tensor.Randn([1, 4, 8, 8], gen, DType.Float64) * 0.1).Detach();
            var (texts32, _) = _model.EncodePrompts("a red circle", "a blue circle");
            var texts = texts32.States.To(DType.Float64);
            var guiders = new IGuider[] { new FeatureGuider([0.5], "up_blocks.1.resnets.1"), new SelfAttentionGuider([2e4]) };
            using var inv = editor.RecordInversion(zStar, 519, texts.Narrow(0, 0, 1), guiders, out _);
            double Energy(Tensor x) => editor.EnergyAt(x, 519, texts, 7, inv, guiders, 0).Item();
            var zGrad = z.Clone().RequiresGrad_();
            var energy = editor.EnergyAt(zGrad, 519, texts, 7, inv, guiders, 0);
            var analytic = Autograd.Grad(energy, zGrad).ToArray<double>();
            // The production path differentiates the two passes separately; it must agree.
            var (separate, _) = editor.GradientAt(z, 519, texts, 7, inv, guiders, 0);
            var separateValues = separate.ToArray<double>();
            for (int i = 0; i < analytic.Length; i++) Assert.Equal(analytic[i], separateValues[i], 1e-10);
            const double h = 1e-5;
            foreach (int i in new[] { 0, 17, 100, 255 })
            {
                var plus = z.Clone();
                plus.View(-1).Select(0, i).Add_(h);
                var minus = z.Clone();
                minus.View(-1).Select(0, i).Sub_(Tensor.Scalar(h, DType.Float64));
                double numeric = (Energy(plus) - Energy(minus)) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-6 + 1e-4 * Math.Abs(numeric),
                    $"element {i}: autograd {analytic[i]:E6}, finite difference {numeric:E6}");
            }
        }
        finally
        {
            _model.Networks.UNet.To(DType.Float32);
        }
    }
}
