using Icd.Denoising;
using Icd.Lora;
using Icd.Sampling;
using Icd.Torch;
using Icd.Torch.Optim;

namespace Icd.Training;

/// <summary>Settings of iCD distillation (METHOD A3, D1); every switch and coefficient is here.</summary>
public sealed record IcdDistillationOptions
{
    public long Rank { get; init; } = 64;
    public double Alpha { get; init; } = 8;
    public IReadOnlyList<string> Targets { get; init; } = LoraTargets.Icd;
    /// <summary>Embedded guidance values w drawn per sample for the reverse model ("0,7,11,15,19" for SD1.5).</summary>
    public double[] GuidanceSet { get; init; } = [0, 7, 11, 15, 19];
    public double HuberC { get; init; } = 0.001;
    public bool ReverseConsistency { get; init; } = true;
    public bool ForwardConsistency { get; init; } = true;
    /// <summary>Coefficient of L_f (0 disables it).</summary>
    public double ForwardPreservation { get; init; } = 1.5;
    /// <summary>Coefficient of L_r (0 disables it).</summary>
    public double ReversePreservation { get; init; } = 1.5;
    /// <summary>L_r's first segment ends where inference ends: the reverse jump from F_0 goes to t = 0 and
    /// its target is the clean latent z0, not the noised start x_19 (METHOD D1 replaces endpoint 0 by
    /// 19). False is the reference. With a target of x_19, the reverse model only has to get
    /// α_19·x̂0 + σ_19·ε̂ right, so the decoded x̂0 keeps an error of σ_19/α_19·(ε0 − ε̂) that the
    /// loss never sees (at this scale 1.3 dB of the first segment's 1.7; model card).</summary>
    public bool ReversePreservationToClean { get; init; }
    /// <summary>How many times the first segment (F_0, R_0) counts when L_f's and L_r's segment j is
    /// drawn (<see cref="ConsistencyPairs.PreservationSegment"/>); 1, METHOD D1's uniform j. The round trip
    /// loses most in that segment (model card), and L_r's first pair is exactly inference's 19 → 259 → 0.</summary>
    public int PreservationFirstSegmentWeight { get; init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(PreservationFirstSegmentWeight), value, "the first segment's weight must be ≥ 1"); } = 1;
    public long[] ReverseEndpoints { get; init; } = [0, 259, 519, 779];
    public long[] ForwardEndpoints { get; init; } = [259, 519, 779, 999];
    public long ForwardStart { get; init; } = 19;
    public int DdimSteps { get; init; } = 50;

    /// <summary>Inverse-and-Edit's cycle-consistency loss coefficient (0: off; IaE: 1), trained
    /// into the forward model only, between forward CD and L_f.</summary>
    public double CycleLoss { get; init; }

    /// <summary>Where the cycle loss's round trip starts: METHOD D2's 0, the clean latent, where
    /// Inverse-and-Edit then encodes from; above 0, z0 noised to that timestep, as iCD's inversion starts.
    /// It always decodes to t = 0.</summary>
    public long CycleStart { get; init; }

    /// <summary>The start of the round trip that validation measures: the cycle's when it trains one,
    /// whatever start the preservation pairs use.</summary>
    public long ValidationStart => CycleLoss > 0 ? CycleStart : ForwardStart;

    /// <summary>These options with the family's boundaries when they are still SD1.5's defaults:
    /// iCD-XL's endpoints are 0/249/499/699 and 249/499/699/999 (METHOD D).</summary>
    public IcdDistillationOptions ForFamily(bool xl) =>
        xl && ReverseEndpoints.SequenceEqual(Sd15Reverse) && ForwardEndpoints.SequenceEqual(Sd15Forward)
            ? this with { ReverseEndpoints = [0, 249, 499, 699], ForwardEndpoints = [249, 499, 699, 999] }
            : this;

    private static readonly long[] Sd15Reverse = [0, 259, 519, 779], Sd15Forward = [259, 519, 779, 999];

    /// <summary>Inverse-and-Edit's fine-tuning: only the forward adapter trains; reverse CD and L_r off,
    /// cycle loss on; the forward model starts from the clean latent (t = 0), as it is used after it.
    /// L_f starts there too (<see cref="ForwardStart"/> = 0), where METHOD D2 keeps iCD's 19: set
    /// ForwardStart = 19 for the reference's L_f.</summary>
    public static IcdDistillationOptions CycleFineTuning(long rank, double alpha) => new()
    {
        Rank = rank, Alpha = alpha, ReverseConsistency = false, ReversePreservation = 0, CycleLoss = 1, GuidanceSet = [0], ForwardStart = 0,
    };
}

/// <summary>What the cycle loss needs besides the UNet: the frozen VAE and the perceptual distance.</summary>
public sealed record CycleContext(Icd.Latents.AutoencoderKL Vae, Icd.Metrics.Lpips Lpips);

/// <summary>
/// Stage 3 (METHOD D1): forward and reverse consistency students as LoRA adapters on the frozen
/// guidance-distilled teacher, one UNet for all three. Per batch, each term with its own optimizer
/// step: reverse CD (reverse optimizer) → forward CD (forward) → L_f (forward) → L_r (reverse).
/// The CD targets come from the same student under no-grad (no EMA); the teacher solver is one
/// DDIM step on the 50-step grid; losses are pseudo-Huber with c = 0.001.
/// </summary>
public sealed class IcdDistillationStage : IDataParallelStage
{
    public const string Forward = "forward", Reverse = "reverse";

    private readonly UNet2DConditionModel _unet;
    private readonly BatchBuilder _data;
    private readonly NoiseSchedule _schedule;
    private readonly RunOptions _run;
    private readonly IcdDistillationOptions _o;
    private readonly long[] _grid;
    private readonly AdamW _forwardOptimizer;
    private readonly AdamW? _reverseOptimizer;
    private readonly CycleContext? _cycle;
    private readonly Generator _noise;
    private readonly int _dim;

    public IcdDistillationStage(UNet2DConditionModel teacher, BatchBuilder data, NoiseSchedule schedule, RunOptions run, IcdDistillationOptions options,
        bool createAdapters = true, CycleContext? cycle = null)
    {
        if (options.CycleLoss > 0 && cycle is null) throw new ArgumentNullException(nameof(cycle), "the cycle loss needs the VAE and a perceptual distance");
        _cycle = cycle;
        if (teacher.Config.TimeCondProjDim is not { } dim) throw new ArgumentException("iCD students distil a guidance-distilled teacher (time_cond_proj_dim must be set)", nameof(teacher));
        _dim = dim;
        _unet = teacher;
        _data = data;
        _schedule = schedule;
        _run = run.Validate();
        _o = options;
        _grid = Boundaries.DdimGrid(options.DdimSteps, schedule.TrainSteps);
        teacher.SetRequiresGrad(false); // the base weights are frozen; only adapters train
        teacher.GradientCheckpointing = run.GradientCheckpointing;
        if (createAdapters)
        {
            // Seeded from the run, so the adapters' initial values never depend on what else the process built.
            using (Icd.Torch.Nn.Init.Seed(run.Seed + 5))
            {
                UNetLora.CreateTrainable(teacher, Forward, options.Targets, options.Rank, options.Alpha);
                UNetLora.CreateTrainable(teacher, Reverse, options.Targets, options.Rank, options.Alpha);
            }
        }
        foreach (var p in UNetLora.Parameters(teacher, Forward)) p.RequiresGrad = true;
        bool trainReverse = options.ReverseConsistency || options.ReversePreservation > 0;
        // A reverse model that does not train is frozen, but gradients still flow through it (cycle loss).
        foreach (var p in UNetLora.Parameters(teacher, Reverse)) p.RequiresGrad = trainReverse;
        _forwardOptimizer = new AdamW(UNetLora.Parameters(teacher, Forward), new AdamWOptions(run.LearningRate, WeightDecay: run.WeightDecay));
        _reverseOptimizer = trainReverse ? new AdamW(UNetLora.Parameters(teacher, Reverse), new AdamWOptions(run.LearningRate, WeightDecay: run.WeightDecay)) : null;
        _noise = new Generator(run.Seed + 3);
    }

    public string Name => _o.CycleLoss > 0 ? "cycle" : "icd";

    /// <summary>The VAE that scores validation in pixels (<c>val_psnr</c>); the cycle's when it trains one.
    /// Null (and no cycle): latent columns only.</summary>
    public Icd.Latents.AutoencoderKL? ValidationVae { get => field ?? _cycle?.Vae; init; }

    /// <summary>Held-back scenes in the validation batch (at most the batch size's worth when unset).</summary>
    public int? ValidationSize { get; init; }

    private Tensor Eps(string? adapter, Tensor x, long[] t, TextConditioning text, double[] w)
    {
        UNetLora.Activate(_unet, adapter);
        using var tt = Tensor.FromValues(t);
        using var cond = Embeddings.GuidanceScale(w, _dim);
        return _unet.Forward(x, tt, text.States, cond, text.Added);
    }

    /// <summary>z0 noised to timestep t[i] per row, with noise from <see cref="Noise"/>.</summary>
    private Tensor Noised(Tensor z0, long[] t, Generator gen) => _schedule.AddNoise(z0, Noise.Sample(z0.Shape, gen), t);

    /// <summary>Every row of z0 noised to the same timestep.</summary>
    private Tensor Noised(Tensor z0, long t, Generator gen) => Noised(z0, Enumerable.Repeat(t, (int)z0.Size(0)).ToArray(), gen);

    private Tensor Jump(Tensor x, Tensor eps, long[] t, long[] s) => ConsistencyJump.Apply(_schedule, x, eps, t, s).Previous;

    /// <summary>One teacher DDIM step on the grid: x_{t'} = α_{t'}·x̂0 + σ_{t'}·ε_T (no hard boundary).</summary>
    private Tensor TeacherStep(Tensor x, long[] t, long[] tNext, TextConditioning text, double[] w)
    {
        using var scope = new TensorScope();
        var eps = Eps(null, x, t, text, w);
        var x0 = (x - eps * _schedule.Sigmas(t)) / _schedule.Alphas(t);
        return (x0 * _schedule.Alphas(tNext) + eps * _schedule.Sigmas(tNext)).MoveToOuterScope();
    }

    /// <summary>The noise of x_t in every loss and in validation (<see cref="TrainingNoise"/>; white unless
    /// set). Inversion with the students should start from the same noise (manifest
    /// <c>pyramid_noise</c>).</summary>
    public TrainingNoise Noise { get; init => field = value.Validate(); } = TrainingNoise.White;

    private long[] Draw(long high, int b) { using var r = Tensor.Randint(0, high, [b], _noise); return r.ToArray<long>(); }

    /// <summary>One step: each term takes its own optimizer step, in METHOD D1's order. With
    /// <see cref="RunOptions.GradientAccumulation"/> = A, A batches are drawn up front and each term
    /// accumulates its gradient over all of them (each micro-batch's loss divided by A) before its step, so
    /// every term sees A × batch samples, as a larger batch would (the released SD1.5 students: 512).</summary>
    public IReadOnlyDictionary<string, double> Step(long step)
    {
        var losses = new Dictionary<string, double>();
        using var scope = new TensorScope();
        var batches = Enumerable.Range(0, _run.GradientAccumulation).Select(_ => _data.Next(_run.BatchSize)).ToArray();
        if (_o.ReverseConsistency) losses["reverse_cd"] = Optimize(_reverseOptimizer!, batches, ReverseConsistencyLoss);
        if (_o.ForwardConsistency) losses["forward_cd"] = Optimize(_forwardOptimizer, batches, ForwardConsistencyLoss);
        if (_o.CycleLoss > 0) losses["cycle"] = Optimize(_forwardOptimizer, batches, batch => CycleLossOf(batch.Z0, batch.Text) * _o.CycleLoss);
        if (_o.ForwardPreservation > 0) losses["preserve_forward"] = Optimize(_forwardOptimizer, batches, ForwardPreservationLoss);
        if (_o.ReversePreservation > 0) losses["preserve_reverse"] = Optimize(_reverseOptimizer!, batches, ReversePreservationLoss);
        UNetLora.Activate(_unet, null);
        return losses;
    }

    /// <summary>Reverse CD: t' = t − 20 on the grid, s the reverse boundary below; guided by the
    /// embedded w drawn per sample.</summary>
    private Tensor ReverseConsistencyLoss(TrainingBatch batch)
    {
        int b = (int)batch.Z0.Size(0);
        var pairs = Draw(_grid.Length, b).Select(i => ConsistencyPairs.Reverse(_grid, _o.ReverseEndpoints, i)).ToArray();
        var w = Draw(_o.GuidanceSet.Length, b).Select(i => _o.GuidanceSet[i]).ToArray();
        return ConsistencyLoss(Reverse, batch, pairs.Select(p => p.T).ToArray(), pairs.Select(p => p.TPrev).ToArray(), pairs.Select(p => p.S).ToArray(), w);
    }

    /// <summary>Forward CD: t⁺ = t + 20 on the grid, s the forward boundary above; always unguided.</summary>
    private Tensor ForwardConsistencyLoss(TrainingBatch batch)
    {
        int b = (int)batch.Z0.Size(0);
        var pairs = Draw(_grid.Length - 1, b).Select(i => ConsistencyPairs.Forward(_grid, _o.ForwardEndpoints, i)).ToArray();
        return ConsistencyLoss(Forward, batch, pairs.Select(p => p.T).ToArray(), pairs.Select(p => p.TNext).ToArray(), pairs.Select(p => p.S).ToArray(), new double[b]);
    }

    /// <summary>Multi-boundary CD in either direction: the student's jump from x_t to the boundary s
    /// against its own jump (no grad) from the teacher's DDIM step to the adjacent grid point, or that
    /// point itself where it is the boundary.</summary>
    private Tensor ConsistencyLoss(string adapter, TrainingBatch batch, long[] t, long[] adjacent, long[] s, double[] w)
    {
        var xt = Noised(batch.Z0, t, _noise);
        var text = batch.Text;
        // Data-parallel: everything above is drawn for the whole batch; this rank computes its shard.
        if (DataParallel.Current is { } dp)
            (xt, t, adjacent, s, w, text) = (dp.Shard(xt), dp.Shard(t), dp.Shard(adjacent), dp.Shard(s), dp.Shard(w), dp.Shard(text));
        Tensor target;
        using (Autograd.NoGrad())
        {
            var xAdjacent = TeacherStep(xt, t, adjacent, text, w);
            var jumped = Jump(xAdjacent, Eps(adapter, xAdjacent, adjacent, text, w), adjacent, s);
            target = Tensor.Where(Mask(adjacent, s), xAdjacent, jumped);
        }
        var pred = Jump(xt, Eps(adapter, xt, t, text, w), t, s);
        return Losses.PseudoHuber(pred, target, _o.HuberC);
    }

    /// <summary>L_f: the forward student must re-encode what the (fixed) reverse student decodes from x_{F_j}.</summary>
    private Tensor ForwardPreservationLoss(TrainingBatch batch)
    {
        int b = (int)batch.Z0.Size(0);
        var zeros = new double[b];
        var (f, r) = PreservationDraw(b);
        var xa = Noised(batch.Z0, f, _noise);
        var text = batch.Text;
        if (DataParallel.Current is { } dp) (xa, f, r, text, zeros) = (dp.Shard(xa), dp.Shard(f), dp.Shard(r), dp.Shard(text), dp.Shard(zeros));
        Tensor xb;
        using (Autograd.NoGrad()) xb = Jump(xa, Eps(Reverse, xa, f, text, zeros), f, r);
        var pred = Jump(xb, Eps(Forward, xb, r, text, zeros), r, f);
        return Losses.PseudoHuber(pred, xa, _o.HuberC) * _o.ForwardPreservation;
    }

    /// <summary>L_r: the reverse student must decode what the (fixed) forward student encodes from x_{R_j}
    /// (its first segment to z0 with <see cref="IcdDistillationOptions.ReversePreservationToClean"/>).</summary>
    private Tensor ReversePreservationLoss(TrainingBatch batch)
    {
        int b = (int)batch.Z0.Size(0);
        var zeros = new double[b];
        var (f, r) = PreservationDraw(b);
        var xa = Noised(batch.Z0, r, _noise);
        var (text, z0) = (batch.Text, batch.Z0);
        if (DataParallel.Current is { } dp)
            (xa, f, r, text, zeros, z0) = (dp.Shard(xa), dp.Shard(f), dp.Shard(r), dp.Shard(text), dp.Shard(zeros), dp.Shard(z0));
        Tensor xb;
        using (Autograd.NoGrad()) xb = Jump(xa, Eps(Forward, xa, r, text, zeros), r, f);
        var ends = r.Select(v => ConsistencyPairs.ReversePreservationEnd(v, _o.ForwardStart, _o.ReversePreservationToClean)).ToArray();
        var pred = Jump(xb, Eps(Reverse, xb, f, text, zeros), f, ends.Select(e => e.End).ToArray());
        var target = Tensor.Where(Tensor.FromValues(ends.Select(e => e.Clean).ToArray(), ends.Length, 1, 1, 1), z0, xa);
        return Losses.PseudoHuber(pred, target, _o.HuberC) * _o.ReversePreservation;
    }

    /// <summary>
    /// Inverse-and-Edit's cycle loss (METHOD D2): encode the clean latent from t = 0 (or z0 noised to
    /// <see cref="IcdDistillationOptions.CycleStart"/>) through the
    /// forward endpoints to 999, decode back with the frozen reverse model to 0 (w = 0), decode with
    /// the VAE, and compare with the VAE's reconstruction of z0 by LPIPS on nine patches. Gradients
    /// flow through the reverse UNet and the VAE decoder into the forward adapter.
    /// </summary>
    private Tensor CycleLossOf(Tensor z0, TextConditioning text)
    {
        long start = _o.CycleStart;
        var x = start == 0 ? z0 : Noised(z0, start, _noise);
        if (DataParallel.Current is { } dp) (x, z0, text) = (dp.Shard(x), dp.Shard(z0), dp.Shard(text));
        x = RoundTrip(x, start, text, [0])[0];
        double scale = _cycle!.Vae.Config.ScalingFactor;
        var decoded = _cycle.Vae.Decode(x / scale);
        Tensor target;
        using (Autograd.NoGrad()) target = _cycle.Vae.Decode(z0 / scale);
        return _cycle.Lpips.Distance(NinePatches.Extract(decoded), NinePatches.Extract(target)).Mean();
    }

    /// <summary>Forward student from <paramref name="start"/> through the forward endpoints to the
    /// last one, then reverse student back down, its last jump made to each of <paramref name="ends"/>
    /// from one evaluation (w = 0): the inversion → reconstruction path the cycle loss trains and the
    /// validation measures.</summary>
    private Tensor[] RoundTrip(Tensor x, long start, TextConditioning text, long[] ends)
    {
        int b = (int)x.Size(0);
        var zeros = new double[b];
        long[] All(long v) => Enumerable.Repeat(v, b).ToArray();
        var forwardT = new[] { start }.Concat(_o.ForwardEndpoints.SkipLast(1)).ToArray();
        for (int i = 0; i < forwardT.Length; i++)
            x = Jump(x, Eps(Forward, x, All(forwardT[i]), text, zeros), All(forwardT[i]), All(_o.ForwardEndpoints[i]));
        var reverseT = _o.ForwardEndpoints.Reverse().ToArray();
        for (int i = 0; i + 1 < reverseT.Length; i++)
            x = Jump(x, Eps(Reverse, x, All(reverseT[i]), text, zeros), All(reverseT[i]), All(reverseT[i + 1]));
        long last = reverseT[^1];
        var eps = Eps(Reverse, x, All(last), text, zeros);
        return ends.Select(end => Jump(x, eps, All(last), All(end))).ToArray();
    }

    /// <summary>Per sample j ~ U{0..3} (the first segment counted <see cref="IcdDistillationOptions.PreservationFirstSegmentWeight"/>
    /// times): (F_j, R_j) preservation pairs.</summary>
    private (long[] F, long[] R) PreservationDraw(int b)
    {
        int k = _o.PreservationFirstSegmentWeight;
        var pairs = Draw(_o.ForwardEndpoints.Length - 1 + k, b)
            .Select(d => ConsistencyPairs.Preservation(_o.ForwardEndpoints, _o.ReverseEndpoints, _o.ForwardStart, ConsistencyPairs.PreservationSegment(d, k))).ToArray();
        return (pairs.Select(p => p.F).ToArray(), pairs.Select(p => p.R).ToArray());
    }

    private TrainingBatch? _validation;
    private Tensor? _validationTarget;

    /// <summary>iCD's forward_eval: MSE between the start latent (z0 noised to the forward start)
    /// and its forward → reverse reconstruction at w = 0, on a fixed held-back batch; and
    /// <c>val_clean_mse</c>, the same round trip decoded to t = 0 as inference does, against z0; with a
    /// <see cref="ValidationVae"/>, <c>val_psnr</c>, that decoded latent through the VAE against the VAE's
    /// reconstruction of z0.</summary>
    public IReadOnlyDictionary<string, double> Validate()
    {
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        _validation ??= _data.Fixed(ValidationSize ?? Math.Min(_run.BatchSize, 4)).DetachFromScope();
        var z0 = _validation.Z0;
        using var gen = new Generator(_run.Seed + 99);
        long from = _o.ValidationStart;
        var start = Noised(z0, from, gen);
        var decoded = RoundTrip(start, from, _validation.Text, [from, 0]);
        UNetLora.Activate(_unet, null);
        var columns = new Dictionary<string, double> { ["val_latent_mse"] = Losses.Mse(decoded[0], start).Item(), ["val_clean_mse"] = Losses.Mse(decoded[1], z0).Item() };
        if (ValidationVae is { } vae)
        {
            // In pixels, as the evaluation scores it: latent error is a poor guide to it once the cycle's
            // LPIPS trains through the VAE decoder. The target is the VAE's own reconstruction, as the cycle loss's.
            double scale = vae.Config.ScalingFactor;
            var pixels = vae.Decode(decoded[1] / scale).Clamp(-1, 1);
            _validationTarget ??= vae.Decode(z0 / scale).Clamp(-1, 1).DetachFromScope();
            columns["val_psnr"] = Losses.Psnr(Losses.Mse(pixels, _validationTarget).Item());
        }
        return columns;
    }

    /// <summary>(B, 1, 1, 1) bool: rows whose target is the teacher's point itself (t' == s).</summary>
    private static Tensor Mask(long[] a, long[] b) => Tensor.FromValues(a.Zip(b, (x, y) => x == y).ToArray(), a.Length, 1, 1, 1);

    /// <summary>One term's optimizer step, its loss accumulated over the step's micro-batches; returns their mean loss.</summary>
    private double Optimize(AdamW optimizer, TrainingBatch[] batches, Func<TrainingBatch, Tensor> loss) =>
        StageState.AccumulateAndStep(optimizer, batches.Length, k => loss(batches[k]), _run.GradClip).Loss;

    public IReadOnlyList<AdamW> Optimizers => _reverseOptimizer is null ? [_forwardOptimizer] : [_forwardOptimizer, _reverseOptimizer];

    public void SaveState(IDictionary<string, Tensor> into)
    {
        foreach (var adapter in new[] { Forward, Reverse })
        {
            foreach (var (path, a) in UNetLora.Adapters(_unet, adapter))
            {
                into[$"lora/{adapter}/{path}.lora_A.weight"] = a.A.Detach().DetachFromScope();
                into[$"lora/{adapter}/{path}.lora_B.weight"] = a.B.Detach().DetachFromScope();
            }
        }
        StageState.Save(into, "optim/forward/", _forwardOptimizer);
        if (_reverseOptimizer is not null) StageState.Save(into, "optim/reverse/", _reverseOptimizer);
        into["rng/noise"] = _noise.GetState().DetachFromScope();
        _data.SaveState(into);
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> from)
    {
        using var noGrad = Autograd.NoGrad();
        foreach (var adapter in new[] { Forward, Reverse })
        {
            foreach (var (path, a) in UNetLora.Adapters(_unet, adapter))
            {
                a.A.Copy_(from[$"lora/{adapter}/{path}.lora_A.weight"]);
                a.B.Copy_(from[$"lora/{adapter}/{path}.lora_B.weight"]);
            }
        }
        StageState.Load(from, "optim/forward/", _forwardOptimizer);
        if (_reverseOptimizer is not null) StageState.Load(from, "optim/reverse/", _reverseOptimizer);
        _noise.SetState(from["rng/noise"]);
        _data.LoadState(from);
    }

    /// <summary>Writes the two students as PEFT LoRA files (iCD's released format).</summary>
    public void Export(string forwardPath, string reversePath, DType? dtype = null)
    {
        LoraFile.WritePeft(forwardPath, UNetLora.Adapters(_unet, Forward), dtype: dtype);
        LoraFile.WritePeft(reversePath, UNetLora.Adapters(_unet, Reverse), dtype: dtype);
    }

    public void Dispose()
    {
        _validation?.Dispose();
        _validationTarget?.Dispose();
        _forwardOptimizer.Dispose();
        _reverseOptimizer?.Dispose();
        _noise.Dispose();
    }
}
