using Icd.Denoising;
using Icd.Sampling;
using Icd.Torch;
using Icd.Torch.Optim;

namespace Icd.Training;

/// <summary>
/// Stage 1 (METHOD D): ε-prediction latent diffusion training of a UNet with a frozen VAE and
/// text encoder. x_t = √ᾱ_t·z0 + √(1−ᾱ_t)·ε with t ~ U{0..999}; loss = MSE(ε_θ(x_t, t, c), ε).
/// Caption dropout (in the batch builder) trains the unconditional branch used for CFG; ε may be
/// multi-resolution noise (<see cref="Noise"/>); some inputs may be noised from counterfactual images
/// (<see cref="Counterfactual"/>); a grounding loss may pull each word's cross-attention onto the
/// pixels it describes (<see cref="GroundingWeight"/>).
/// </summary>
public sealed class TeacherStage : IDataParallelStage
{
    private readonly UNet2DConditionModel _unet;
    private readonly BatchBuilder _data;
    private readonly NoiseSchedule _schedule;
    private readonly RunOptions _options;
    private readonly AdamW _optimizer;
    private readonly Generator _noise;

    public TeacherStage(UNet2DConditionModel unet, BatchBuilder data, NoiseSchedule schedule, RunOptions options)
    {
        _unet = unet;
        _data = data;
        _schedule = schedule;
        _options = options.Validate();
        unet.SetRequiresGrad(true);
        unet.Train();
        unet.GradientCheckpointing = options.GradientCheckpointing;
        _optimizer = new AdamW(unet.Parameters(), new AdamWOptions(options.LearningRate, WeightDecay: options.WeightDecay));
        _noise = new Generator(options.Seed + 3);
        _validation = new DenoisingValidation(data, schedule, Math.Min(options.BatchSize, 8), options.Seed + 99);
    }

    private readonly DenoisingValidation _validation;

    /// <summary>The training noise ε (white unless set; see <see cref="TrainingNoise"/>).</summary>
    public TrainingNoise Noise { get; init => field = value.Validate(); } = TrainingNoise.White;

    /// <summary>Min-SNR-γ loss weighting (<see cref="Losses.MinSnrWeights"/>); null: plain MSE.</summary>
    public double? SnrGamma { get; init => field = Losses.CheckSnrGamma(value, nameof(SnrGamma)); }

    /// <summary>Counterfactual noising of captioned high-noise samples; null: none. The data source must
    /// be an <see cref="ICounterfactualSource"/>.</summary>
    public CounterfactualNoising? Counterfactual
    {
        get;
        init
        {
            if (value is not null && !_data.HasCounterfactuals)
                throw new ArgumentException("counterfactual noising needs a training source that draws counterfactual images (ICounterfactualSource)", nameof(Counterfactual));
            field = value?.Validate();
        }
    }

    /// <summary>Weight of <see cref="AttentionGrounding"/>'s loss on the cross-attention (each caption
    /// word's attention on the pixels it describes); null: none. The data source must be an
    /// <see cref="IGroundingSource"/>.</summary>
    public double? GroundingWeight
    {
        get;
        init
        {
            if (value is not null && !_data.HasGrounding)
                throw new ArgumentException("a grounding loss needs a training source that says which pixels its caption words describe (IGroundingSource)", nameof(GroundingWeight));
            if (value is { } w && !(w > 0 && double.IsFinite(w)))
                throw new ArgumentOutOfRangeException(nameof(GroundingWeight), value, "the grounding weight must be a positive finite number");
            field = value;
        }
    }

    /// <summary>Held-out ε and x̂0 error at fixed noise and timesteps.</summary>
    public IReadOnlyDictionary<string, double> Validate()
    {
        bool training = _unet.Training;
        _unet.Eval();
        try
        {
            return _validation.Measure((xt, t, text) =>
            {
                var cond = _unet.Config.TimeCondProjDim is { } dim ? Embeddings.GuidanceScale(new double[t.Length], dim) : null;
                using var tt = Tensor.FromValues(t);
                return _unet.Forward(xt, tt, text.States, cond, text.Added);
            });
        }
        finally
        {
            if (training) _unet.Train();
        }
    }

    public string Name => "teacher";

    public IReadOnlyDictionary<string, double> Step(long step)
    {
        double grounded = 0;
        var (total, norm) = StageState.AccumulateAndStep(_optimizer, _options.GradientAccumulation, _ =>
        {
            var batch = _data.Next(_options.BatchSize);
            int b = _options.BatchSize;
            var t = Tensor.Randint(0, _schedule.TrainSteps, [b], _noise).ToArray<long>();
            var eps = Noise.Sample(batch.Z0.Shape, _noise);
            var (input, target) = Counterfactual is { } counterfactual ? CounterfactualInput(counterfactual, batch, eps, t) : (batch.Z0, eps);
            var xt = _schedule.AddNoise(input, eps, t);
            var text = batch.Text;
            // Data-parallel: the whole batch was drawn as one process draws it; this rank computes its shard.
            if (DataParallel.Current is { } dp)
            {
                if (GroundingWeight is not null) throw new NotSupportedException("the grounding loss is not available in a data-parallel run yet");
                (xt, target, t, text, b) = (dp.Shard(xt), dp.Shard(target), dp.Shard(t), dp.Shard(text), b / dp.WorldSize);
            }
            var cond = _unet.Config.TimeCondProjDim is { } dim ? Embeddings.GuidanceScale(new double[b], dim) : null;
            using var grounding = GroundingWeight is null ? null : _data.Grounding(batch);
            Tensor pred;
            using (grounding is null ? null : _unet.UseController(grounding))
                pred = _unet.Forward(xt, Tensor.FromValues(t), text.States, cond, text.Added);
            var loss = SnrGamma is { } gamma ? Losses.WeightedMse(pred, target, Losses.MinSnrWeights(_schedule, t, gamma)) : Losses.Mse(pred, target);
            if (grounding is null) return loss;
            var attention = grounding.Loss();
            grounded += attention.Item() / _options.GradientAccumulation;
            return loss + attention * GroundingWeight!.Value;
        }, _options.GradClip);
        var metrics = new Dictionary<string, double> { ["loss"] = total, ["grad_norm"] = norm };
        if (GroundingWeight is not null) metrics["grounding"] = grounded;
        return metrics;
    }

    /// <summary>The noised-from latents (counterfactual rows swapped in) and the ε-target that still
    /// names the caption's image. The draws come from the stage's noise generator, so a resumed run
    /// draws the same rows.</summary>
    private (Tensor Input, Tensor Target) CounterfactualInput(CounterfactualNoising counterfactual, TrainingBatch batch, Tensor eps, long[] t)
    {
        var u = Tensor.Rand([t.Length], _noise).ToArray<float>();
        var seeds = Tensor.Randint(0, int.MaxValue, [t.Length], _noise).ToArray<long>();
        var rows = new Tensor[t.Length];
        for (int i = 0; i < t.Length; i++)
        {
            bool swap = t[i] >= counterfactual.MinTimestep && u[i] < counterfactual.Probability && batch.Captions[i].Length > 0;
            rows[i] = swap ? _data.Counterfactual(batch.Indices[i], (ulong)seeds[i]) : batch.Z0.Narrow(0, i, 1);
        }
        var input = Tensor.Cat(rows, 0);
        return (input, CounterfactualNoising.Target(_schedule, eps, batch.Z0, input, t));
    }

    public IReadOnlyList<AdamW> Optimizers => [_optimizer];

    public void SaveState(IDictionary<string, Tensor> into)
    {
        StageState.Save(into, _unet, _optimizer, _noise, _data);
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> from)
    {
        StageState.Load(from, _unet, _optimizer, _noise, _data);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _noise.Dispose();
        _validation.Dispose();
    }
}
