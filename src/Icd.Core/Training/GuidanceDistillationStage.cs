using Icd.Denoising;
using Icd.Sampling;
using Icd.Text;
using Icd.Torch;
using Icd.Torch.Optim;

namespace Icd.Training;

/// <summary>
/// Stage 2 (METHOD A2, D): distil classifier-free guidance into one network ε(x, t, c, w). The
/// student is the teacher plus <c>time_embedding.cond_proj</c> (zero-initialised, so it starts as
/// the teacher). Target: ε_u + (w + 1)(ε_c − ε_u) from the frozen teacher, where w is the embedded
/// scale (classical scale − 1, METHOD A2's convention), drawn per sample from a discrete set.
/// </summary>
public sealed class GuidanceDistillationStage : IDataParallelStage
{
    private readonly UNet2DConditionModel _teacher, _student;
    private readonly BatchBuilder _data;
    private readonly NoiseSchedule _schedule;
    private readonly RunOptions _options;
    private readonly double[] _guidanceSet;
    private readonly Tensor _unconditional;
    private readonly AdamW _optimizer;
    private readonly Generator _noise;

    public GuidanceDistillationStage(UNet2DConditionModel teacher, UNet2DConditionModel student, BatchBuilder data, NoiseSchedule schedule,
        ClipTextModel textEncoder, ClipTokenizer tokenizer, double[] guidanceSet, RunOptions options)
    {
        if (student.Config.TimeCondProjDim is null) throw new ArgumentException("the student needs time_cond_proj_dim (the guidance embedding)", nameof(student));
        if (guidanceSet.Length == 0) throw new ArgumentException("the guidance set is empty", nameof(guidanceSet));
        if (teacher.Config.TimeCondProjDim is not null)
            throw new ArgumentException("the teacher is already guidance-distilled (time_cond_proj_dim is set); guidance distillation starts from a plain UNet", nameof(teacher));
        _teacher = teacher;
        _student = student;
        _data = data;
        _schedule = schedule;
        _options = options.Validate();
        _guidanceSet = guidanceSet;
        teacher.SetRequiresGrad(false);
        teacher.Eval();
        student.Train();
        student.SetRequiresGrad(true);
        student.GradientCheckpointing = options.GradientCheckpointing;
        using (Autograd.NoGrad())
        using (var ids = Tensor.FromValues(tokenizer.Tokenize("").Ids, 1, ClipTokenizer.MaxLength))
            _unconditional = textEncoder.Forward(ids).DetachFromScope();
        _optimizer = new AdamW(student.Parameters(), new AdamWOptions(options.LearningRate, WeightDecay: options.WeightDecay));
        _noise = new Generator(options.Seed + 3);
        _validation = new DenoisingValidation(data, schedule, Math.Min(options.BatchSize, 8), options.Seed + 99);
    }

    private readonly DenoisingValidation _validation;

    public string Name => "guidance";

    /// <summary>The noise of x_t (<see cref="TrainingNoise"/>; white unless set).</summary>
    public TrainingNoise Noise { get; init => field = value.Validate(); } = TrainingNoise.White;

    /// <summary>The guided teacher: ε_u + (w + 1)(ε_c − ε_u), per-sample embedded w.</summary>
    private Tensor GuidedTeacher(Tensor xt, Tensor t, TextConditioning text, double[] w)
    {
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        var u = ((TextConditioning)_unconditional).Expand(w.Length);
        var uncond = _teacher.Forward(xt, t, u.States, null, u.Added);
        var cond = _teacher.Forward(xt, t, text.States, null, text.Added);
        var scale = Tensor.FromValues(w.Select(v => (float)(v + 1)).ToArray(), w.Length, 1, 1, 1);
        return (uncond + (cond - uncond) * scale).MoveToOuterScope();
    }

    /// <summary>Held-out distillation error against the guided teacher (w cycling through the set)
    /// and the x̂0 error it implies, at fixed noise and timesteps.</summary>
    public IReadOnlyDictionary<string, double> Validate()
    {
        int dim = _student.Config.TimeCondProjDim!.Value;
        double[] W(int n) => Enumerable.Range(0, n).Select(i => _guidanceSet[i % _guidanceSet.Length]).ToArray();
        _student.Eval();
        try
        {
            return _validation.Measure(
                (xt, t, text) => { using var tt = Tensor.FromValues(t); return _student.Forward(xt, tt, text.States, Embeddings.GuidanceScale(W(t.Length), dim), text.Added); },
                (xt, t, text) => { using var tt = Tensor.FromValues(t); return GuidedTeacher(xt, tt, text, W(t.Length)); });
        }
        finally
        {
            _student.Train();
        }
    }

    /// <summary>A student UNet built from the teacher's config with the guidance embedding added;
    /// the caller copies the teacher's weights in (cond_proj stays zero).</summary>
    public static UNet2DConditionModel NewStudent(UNet2DConditionModel teacher, int embeddingDim)
    {
        if (teacher.Config.TimeCondProjDim is not null)
            throw new ArgumentException("the teacher is already guidance-distilled (time_cond_proj_dim is set); guidance distillation starts from a plain UNet", nameof(teacher));
        var student = new UNet2DConditionModel(teacher.Config with { TimeCondProjDim = embeddingDim });
        var weights = teacher.StateDict();
        try
        {
            var source = new Icd.Torch.Nn.DictionarySource(weights, "teacher");
            student.LoadStateDict(source, strict: false);
            using var noGrad = Autograd.NoGrad();
            student.NamedParameters().Single(p => p.Name == "time_embedding.cond_proj.weight").Parameter.Zero_();
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
        return student;
    }

    public IReadOnlyDictionary<string, double> Step(long step)
    {
        int dim = _student.Config.TimeCondProjDim!.Value;
        var (total, norm) = StageState.AccumulateAndStep(_optimizer, _options.GradientAccumulation, _ =>
        {
            var batch = _data.Next(_options.BatchSize);
            int b = _options.BatchSize;
            var t = Tensor.Randint(0, _schedule.TrainSteps, [b], _noise).ToArray<long>();
            var wIndex = Tensor.Randint(0, _guidanceSet.Length, [b], _noise).ToArray<long>();
            var w = wIndex.Select(i => _guidanceSet[i]).ToArray();
            var eps = Noise.Sample(batch.Z0.Shape, _noise);
            var xt = _schedule.AddNoise(batch.Z0, eps, t);
            var text = batch.Text;
            // Data-parallel: the whole batch was drawn as one process draws it; this rank computes its shard.
            if (DataParallel.Current is { } dp)
                (xt, t, text, w) = (dp.Shard(xt), dp.Shard(t), dp.Shard(text), dp.Shard(w));
            var tt = Tensor.FromValues(t);
            var target = GuidedTeacher(xt, tt, text, w);
            var pred = _student.Forward(xt, tt, text.States, Embeddings.GuidanceScale(w, dim), text.Added);
            return Losses.Mse(pred, target);
        }, _options.GradClip);
        return new Dictionary<string, double> { ["loss"] = total, ["grad_norm"] = norm };
    }

    public IReadOnlyList<AdamW> Optimizers => [_optimizer];

    public void SaveState(IDictionary<string, Tensor> into)
    {
        StageState.Save(into, _student, _optimizer, _noise, _data);
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> from)
    {
        StageState.Load(from, _student, _optimizer, _noise, _data);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _noise.Dispose();
        _unconditional.Dispose();
        _validation.Dispose();
    }
}
