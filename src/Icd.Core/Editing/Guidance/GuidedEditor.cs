using System.Diagnostics;
using Icd.Imaging;
using Icd.Pipelines;
using Icd.Sampling;
using Icd.Torch;

namespace Icd.Editing.Guidance;

/// <summary>
/// Inverse-and-Edit editing (METHOD C2): Guide-and-Rescale guidance on the iCD reverse model.
/// The image is inverted from t = 0 keeping every latent z*_t. Per reverse step (t → s):
/// (1) ε_inv = U(z*_t, src, 0) without grad, recording "inv"; (2–3) with z_t requiring grad,
/// ε_src = U(z_t, src, 0) and ε_trg = U(z_t, trg, w_i) in one batch, recording "cur_src" and
/// "cur_trg"; (4) E = Σ g_i·energy, ∇ = ∂E/∂z_t; (5) ε̂ = ε_trg + k·∇ with k from the noise
/// rescale; (6) z_s = f(z_t, ε̂, t → s). A step whose weights are all 0 is a plain target pass.
/// </summary>
public sealed class GuidedEditor(IcdModel model)
{
    public IcdModel Model { get; } = model;

    public GuidedEditResult Edit(RgbImage image, string source, string target, GuidedEditOptions options,
        IProgress<StepProgress>? progress = null, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(source)) throw new ArgumentException("the source prompt is empty", nameof(source));
        if (string.IsNullOrWhiteSpace(target)) throw new ArgumentException("the target prompt is empty", nameof(target));
        var steps = Model.Boundaries.Reverse;
        options.Validate(steps.Count);
        var guiders = new IGuider[]
        {
            new FeatureGuider(options.FeatureWeights, options.FeatureModule),
            new SelfAttentionGuider(options.AttentionWeights),
        };
        var sw = Stopwatch.StartNew();
        var pipeline = new IcdPipeline(Model);
        using var scope = new TensorScope();
        var inversionOptions = new InversionOptions { Seed = options.Seed, StartTimestep = options.ForwardStart };
        using var inversion = pipeline.Invert(image, source, inversionOptions, progress, sw);
        int nfe = inversion.Timesteps.Count - 1, backward = 0;
        var (texts, _) = Model.EncodePrompts(source, target);
        var sourceText = texts.Narrow(0, 0, 1);
        var targetText = texts.Narrow(0, 1, 1);
        var factors = new List<double>();
        var z = inversion.Final.Share();
        for (int i = 0; i < steps.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var (t, s) = steps[i];
            double w = options.CfgSchedule[i];
            using var stepScope = new TensorScope();
            Tensor epsHat;
            var active = guiders.Where(g => g.WeightAt(i) != 0).ToList();
            if (active.Count == 0)
            {
                using var noGrad = Autograd.NoGrad();
                epsHat = Model.Reverse.Epsilon(z, t, targetText, [w]);
                nfe++;
                factors.Add(double.NaN);
            }
            else
            {
                (epsHat, double k) = GuidedEpsilon(z, inversion.At(t), t, texts, sourceText, w, active, options, i);
                nfe += 3;
                backward++;
                factors.Add(k);
            }
            using (Autograd.NoGrad())
                z = ConsistencyJump.Apply(Model.Schedule, z, epsHat, t, s).Previous.MoveToOuterScope();
            progress?.Report(new StepProgress(Phase.Denoise, i + 1, steps.Count, nfe, sw.Elapsed));
        }
        RgbImage edited;
        using (Autograd.NoGrad())
        {
            var decoded = Model.Networks.Vae.Decode(z / Model.Networks.Vae.Config.ScalingFactor);
            edited = ImageTensors.ToImage(decoded);
        }
        var input = ImageTensors.ToImage(pipeline.Preprocess(image, inversionOptions));
        if (options.MatchColors) edited = ColorMatch.MatchStatistics(edited, input);
        progress?.Report(new StepProgress(Phase.Decode, 1, 1, nfe, sw.Elapsed));
        return new GuidedEditResult(input, edited, nfe, backward, sw.Elapsed, factors);
    }

    private (Tensor EpsHat, double K) GuidedEpsilon(Tensor z, Tensor zStar, long t, Tensor bothTexts, Tensor sourceText, double w,
        IReadOnlyList<IGuider> active, GuidedEditOptions options, int step)
    {
        using var inv = RecordInversion(zStar, t, sourceText, active, out var epsInv);
        var zGrad = z.Detach().RequiresGrad_();
        var (energy, epsTarget) = EnergyAt(zGrad, t, bothTexts, w, inv, active, step);
        var gradient = Autograd.Grad(energy, zGrad);
        // (5) Rescale against ‖ε_trg − ε_inv‖ and add.
        double k = NoiseRescale.Factor(gradient, epsTarget, epsInv, options.Rescale.Lo, options.Rescale.Hi);
        return (epsTarget + gradient * k, k);
    }

    /// <summary>(1) The inversion branch: the cached latent, source prompt, w = 0, no graph.</summary>
    internal GuidanceRecords RecordInversion(Tensor zStar, long t, Tensor sourceText, IReadOnlyList<IGuider> active, out Tensor epsInv)
    {
        var unet = Model.Networks.UNet;
        var features = active.SelectMany(g => g.Features).Distinct().ToArray();
        var inv = new GuidanceRecords();
        using (Autograd.NoGrad())
        using (active.Any(g => g.NeedsSelfAttention) ? unet.UseController(new SelfAttentionRecorder(inv, 0)) : null)
        using (var capture = features.Length > 0 ? unet.Hooks.Capture(features) : null)
        {
            epsInv = Model.Reverse.Epsilon(zStar, t, sourceText, [0]);
            foreach (var f in features) inv.Features[f] = capture!.Get(f)[0].DetachFromScope();
        }
        return inv;
    }

    /// <summary>(2–4) With <paramref name="zGrad"/> requiring grad: ε_src and ε_trg in one
    /// [source, target] batch, then E = Σ g_i·energy_i. Returns E (with its graph) and ε_trg (detached).</summary>
    internal (Tensor Energy, Tensor EpsTarget) EnergyAt(Tensor zGrad, long t, Tensor bothTexts, double w, GuidanceRecords inv,
        IReadOnlyList<IGuider> active, int step)
    {
        var unet = Model.Networks.UNet;
        var features = active.SelectMany(g => g.Features).Distinct().ToArray();
        using var curSrc = new GuidanceRecords();
        using var curTrg = new GuidanceRecords();
        using var grad = Autograd.EnableGrad();
        Tensor epsTarget;
        using (active.Any(g => g.NeedsSelfAttention) ? unet.UseController(new SelfAttentionRecorder(curSrc, 0)) : null)
        using (var capture = features.Length > 0 ? unet.Hooks.Capture(features) : null)
        {
            var both = Tensor.Cat([zGrad, zGrad], 0);
            var eps = Model.Reverse.Epsilon(both, t, bothTexts, [0, w]);
            epsTarget = eps.Narrow(0, 1, 1);
            foreach (var f in features)
            {
                using var output = capture!.Get(f)[0];
                curTrg.Features[f] = output.Narrow(0, 1, 1).DetachFromScope();
            }
        }
        var energy = Tensor.Zeros([], zGrad.DType);
        foreach (var g in active)
        {
            using var e = g.Energy(inv, curSrc, curTrg);
            energy = energy + e * g.WeightAt(step);
        }
        return (energy, epsTarget.Detach());
    }
}
