using Icd.Denoising;
using Icd.Sampling;
using Icd.Torch;

namespace Icd.Training;

/// <summary>
/// Held-out denoising error for the teacher and guidance-distillation stages: a fixed validation
/// batch, fixed noise and timesteps spread evenly over [0, T), so the numbers are comparable from
/// one validation to the next and never draw from the training streams.
/// Reports val_eps_mse (the training objective) and val_x0_mse (the latent the prediction implies,
/// x̂0 = (x_t − σ_t ε̂)/α_t, against the true z0: the reconstruction error).
/// </summary>
internal sealed class DenoisingValidation(BatchBuilder data, NoiseSchedule schedule, int count, ulong seed) : IDisposable
{
    private TrainingBatch? _batch;
    private Tensor? _noise;
    private long[] _t = [];

    /// <param name="predict">ε̂(x_t, t, text) of the model under validation.</param>
    /// <param name="target">the ε it should predict at (x_t, t, text); null: the true noise.</param>
    public Dictionary<string, double> Measure(Func<Tensor, long[], TextConditioning, Tensor> predict, Func<Tensor, long[], TextConditioning, Tensor>? target = null)
    {
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        if (_batch is null)
        {
            _batch = data.Fixed(count).DetachFromScope();
            using var gen = new Generator(seed);
            _noise = Tensor.Randn(_batch.Z0.Shape, gen).DetachFromScope();
            int n = (int)_batch.Z0.Size(0);
            _t = Enumerable.Range(0, n).Select(i => (long)((i + 0.5) * schedule.TrainSteps / n)).ToArray();
        }
        var z0 = _batch.Z0;
        var xt = schedule.AddNoise(z0, _noise!, _t);
        var eps = predict(xt, _t, _batch.Text);
        var want = target is null ? _noise! : target(xt, _t, _batch.Text);
        var x0 = (xt - eps * schedule.Sigmas(_t)) / schedule.Alphas(_t);
        return new Dictionary<string, double>
        {
            ["val_eps_mse"] = Losses.Mse(eps, want).Item(),
            ["val_x0_mse"] = Losses.Mse(x0, z0).Item(),
        };
    }

    public void Dispose()
    {
        _batch?.Dispose();
        _noise?.Dispose();
    }
}
