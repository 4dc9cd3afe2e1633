using Icd.Latents;
using Icd.Pipelines;
using Icd.Torch;
using Icd.Torch.Optim;

namespace Icd.Training;

/// <summary>
/// Trains an AutoencoderKL from scratch: L = MSE(decode(sample(encode(x))), x) + β·KL(q(z|x) ‖ N(0, I)),
/// the latent-diffusion VAE objective without the adversarial and perceptual terms (enough for the
/// flat-coloured Shapes world; say so in any report).
/// </summary>
public sealed class AutoencoderStage : ITrainingStage
{
    private readonly AutoencoderKL _vae;
    private readonly IImageCaptionSource _source;
    private readonly RunOptions _options;
    private readonly double _klWeight;
    private readonly InfiniteSampler _sampler;
    private readonly AdamW _optimizer;
    private readonly Generator _noise;
    private readonly int _size;
    private readonly LearningRateSchedule _lr;

    public AutoencoderStage(AutoencoderKL vae, IImageCaptionSource source, int imageSize, RunOptions options, double klWeight = 1e-6)
    {
        _vae = vae;
        _source = source;
        _options = options.Validate();
        _klWeight = klWeight;
        _size = imageSize;
        _sampler = new InfiniteSampler(source.Count, options.Seed);
        vae.SetRequiresGrad(true);
        vae.Train();
        _optimizer = new AdamW(vae.Parameters(), new AdamWOptions(options.LearningRate, WeightDecay: options.WeightDecay));
        _noise = new Generator(options.Seed + 3);
        _lr = options.Schedule();
    }

    public string Name => "vae";

    public IReadOnlyDictionary<string, double> Step(long step)
    {
        using var scope = new TensorScope();
        _optimizer.LearningRate = _lr(step);
        var images = Enumerable.Range(0, _options.BatchSize).Select(_ => ImageTensors.ToTensor(_source.Get(_sampler.Next()).Image, _size, _size)).ToArray();
        var x = Tensor.Cat(images, 0);
        var dist = _vae.Encode(x);
        var z = dist.Sample(_noise);
        var recon = _vae.Decode(z);
        var mse = Losses.Mse(recon, x);
        // KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − 1 − log σ²), averaged per sample.
        var kl = ((dist.Mean.Square() + dist.LogVar.Exp() - 1.0 - dist.LogVar).Sum() * 0.5) / _options.BatchSize;
        var loss = mse + kl * _klWeight;
        Autograd.Backward([loss]);
        double norm = StageState.ClipAndStep(_optimizer, _options.GradClip);
        double psnr = 10 * Math.Log10(4 / Math.Max(mse.Item(), 1e-12)); // on [−1, 1]: peak-to-peak 2
        return new Dictionary<string, double> { ["loss"] = loss.Item(), ["mse"] = mse.Item(), ["kl"] = kl.Item(), ["psnr"] = psnr, ["grad_norm"] = norm, ["lr"] = _optimizer.LearningRate };
    }

    /// <summary>Where <see cref="Validate"/> takes its 8 images; null: the first training images.</summary>
    public IImageCaptionSource? Validation { get; init; }

    /// <summary>Reconstruction MSE/PSNR of a fixed batch through the posterior mean (what editing sees).</summary>
    public IReadOnlyDictionary<string, double> Validate()
    {
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        var from = Validation ?? _source;
        var x = Tensor.Cat(Enumerable.Range(0, (int)Math.Min(8, from.Count)).Select(i => ImageTensors.ToTensor(from.Get(i).Image, _size, _size)).ToArray(), 0);
        _vae.Eval();
        try
        {
            double mse = Losses.Mse(_vae.Decode(_vae.Encode(x).Mean), x).Item();
            return new Dictionary<string, double> { ["val_mse"] = mse, ["val_psnr"] = 10 * Math.Log10(4 / Math.Max(mse, 1e-12)) };
        }
        finally
        {
            _vae.Train();
        }
    }

    /// <summary>1/std of latent means over <paramref name="count"/> images: SD's scaling factor rule.</summary>
    public double ScalingFactor(int count = 256)
    {
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        var means = Enumerable.Range(0, count).Select(i => _vae.Encode(ImageTensors.ToTensor(_source.Get(i).Image, _size, _size)).Mean).ToArray();
        return 1.0 / Tensor.Cat(means, 0).Std().Item();
    }

    public void SaveState(IDictionary<string, Tensor> into)
    {
        StageState.Save(into, "model/", _vae);
        StageState.Save(into, "optim/", _optimizer);
        into["rng/noise"] = _noise.GetState().DetachFromScope();
        into["data/position"] = Tensor.FromValues(new[] { _sampler.Position }).DetachFromScope();
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> from)
    {
        StageState.Load(from, "model/", _vae);
        StageState.Load(from, "optim/", _optimizer);
        _noise.SetState(from["rng/noise"]);
        _sampler.Position = (long)from["data/position"].Item();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _noise.Dispose();
    }
}
