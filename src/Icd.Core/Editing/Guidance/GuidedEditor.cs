using System.Diagnostics;
using Icd.Denoising;
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
        var sourceText = texts.Narrow(0, 1);
        var targetText = texts.Narrow(1, 1);
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
                backward += active.Select(g => g.Branch).Distinct().Count(); // one backward pass per differentiated branch
                factors.Add(k);
            }
            using (Autograd.NoGrad())
            {
                z = ConsistencyJump.Apply(Model.Schedule, z, epsHat, t, s).Previous.MoveToOuterScope();
                FiniteLatent.Check(z, "guided editing", i, s);
            }
            progress?.Report(new StepProgress(Phase.Denoise, i + 1, steps.Count, nfe, sw.Elapsed));
        }
        RgbImage edited;
        using (Autograd.NoGrad()) edited = Model.DecodeLatents(z)[0];
        var input = ImageTensors.ToImage(Model.Preprocess(image, inversionOptions));
        if (options.MatchColors) edited = ColorMatch.MatchStatistics(edited, input);
        progress?.Report(new StepProgress(Phase.Decode, 1, 1, nfe, sw.Elapsed));
        return new GuidedEditResult(input, edited, nfe, backward, sw.Elapsed, factors);
    }

    private (Tensor EpsHat, double K) GuidedEpsilon(Tensor z, Tensor zStar, long t, TextConditioning bothTexts, TextConditioning sourceText, double w,
        IReadOnlyList<IGuider> active, GuidedEditOptions options, int step)
    {
        using var inv = RecordInversion(zStar, t, sourceText, active, out var epsInv);
        var (gradient, epsTarget) = GradientAt(z, t, bothTexts, w, inv, active, step);
        // (5) Rescale against ‖ε_trg − ε_inv‖ and add.
        double k = NoiseRescale.Factor(gradient, epsTarget, epsInv, options.Rescale.Lo, options.Rescale.Hi);
        return (epsTarget + gradient * k, k);
    }

    /// <summary>(1) The inversion branch: the cached latent, source prompt, w = 0, no graph.</summary>
    internal GuidanceRecords RecordInversion(Tensor zStar, long t, TextConditioning sourceText, IReadOnlyList<IGuider> active, out Tensor epsInv)
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

    /// <summary>
    /// (2–4) ∇E w.r.t. z_t and ε_trg. E = E_src + E_trg separates by pass (self-attention energies
    /// read the source pass, feature energies the target pass), so each pass is differentiated on
    /// its own and its graph freed before the next: the peak holds one UNet graph, not two (at 512²
    /// the 64² self-attention maps make a graph several GB).
    /// </summary>
    internal (Tensor Gradient, Tensor EpsTarget) GradientAt(Tensor z, long t, TextConditioning bothTexts, double w, GuidanceRecords inv,
        IReadOnlyList<IGuider> active, int step)
    {
        Tensor? gradient = null;
        Tensor? epsTarget = null;
        foreach (var branch in new[] { GuidedBranch.CurrentSource, GuidedBranch.CurrentTarget })
        {
            var guiders = active.Where(g => g.Branch == branch).ToList();
            bool target = branch == GuidedBranch.CurrentTarget;
            if (guiders.Count == 0 && !target) continue;
            var zGrad = z.Detach().RequiresGrad_();
            var (energy, eps) = BranchEnergy(zGrad, t, bothTexts, w, inv, guiders, step, branch);
            if (target) epsTarget = eps;
            if (energy is null) continue;
            var g = Autograd.Grad(energy, zGrad);
            gradient = gradient is null ? g : gradient + g;
        }
        return (gradient ?? Tensor.ZerosLike(z), epsTarget!);
    }

    /// <summary>E as one differentiable scalar of <paramref name="zGrad"/> (both passes in one graph),
    /// for checking <see cref="GradientAt"/> against finite differences.</summary>
    internal Tensor EnergyAt(Tensor zGrad, long t, TextConditioning bothTexts, double w, GuidanceRecords inv, IReadOnlyList<IGuider> active, int step)
    {
        var total = Tensor.Zeros([], zGrad.DType);
        foreach (var branch in new[] { GuidedBranch.CurrentSource, GuidedBranch.CurrentTarget })
        {
            var (energy, _) = BranchEnergy(zGrad, t, bothTexts, w, inv, active.Where(g => g.Branch == branch).ToList(), step, branch);
            if (energy is not null) total = total + energy;
        }
        return total;
    }

    /// <summary>One pass on the current latent (source prompt at w = 0, or target prompt at w),
    /// recording what its guiders need; returns Σ g_i·energy_i (null without guiders) and ε (detached).</summary>
    private (Tensor? Energy, Tensor Eps) BranchEnergy(Tensor zGrad, long t, TextConditioning bothTexts, double w, GuidanceRecords inv,
        IReadOnlyList<IGuider> guiders, int step, GuidedBranch branch)
    {
        var unet = Model.Networks.UNet;
        bool target = branch == GuidedBranch.CurrentTarget;
        var text = bothTexts.Narrow(target ? 1 : 0, 1);
        var features = guiders.SelectMany(g => g.Features).Distinct().ToArray();
        using var records = new GuidanceRecords();
        using var grad = guiders.Count > 0 ? Autograd.EnableGrad() : Autograd.NoGrad();
        Tensor eps;
        using (guiders.Any(g => g.NeedsSelfAttention) ? unet.UseController(new SelfAttentionRecorder(records, 0)) : null)
        using (var capture = features.Length > 0 ? unet.Hooks.Capture(features) : null)
        {
            eps = Model.Reverse.Epsilon(zGrad, t, text, [target ? w : 0]);
            foreach (var f in features) records.Features[f] = capture!.Get(f)[0].DetachFromScope();
        }
        if (guiders.Count == 0) return (null, eps.Detach());
        var energy = Tensor.Zeros([], zGrad.DType);
        foreach (var g in guiders)
        {
            using var e = target ? g.Energy(inv, new GuidanceRecords(), records) : g.Energy(inv, records, new GuidanceRecords());
            energy = energy + e * g.WeightAt(step);
        }
        return (energy, eps.Detach());
    }
}
