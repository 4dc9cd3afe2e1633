using Icd.Denoising;
using Icd.Latents;
using Icd.Pipelines;
using Icd.Text;
using Icd.Torch;

namespace Icd.Training;

/// <summary>One training batch: clean latents z0 (a VAE sample × scaling factor, METHOD D1) and
/// the frozen text encoder's embeddings of the (possibly dropped) captions, and the source indices
/// the rows came from.</summary>
public sealed record TrainingBatch(Tensor Z0, TextConditioning Text, IReadOnlyList<string> Captions, IReadOnlyList<long> Indices) : IDisposable
{
    /// <summary>Takes both tensors out of every scope: for a batch kept across steps (validation).</summary>
    public TrainingBatch DetachFromScope()
    {
        Z0.DetachFromScope();
        Text.DetachFromScope();
        return this;
    }

    public void Dispose()
    {
        Z0.Dispose();
        Text.DisposeAll();
    }
}

/// <summary>
/// Turns the sampler's indices into batches with a frozen VAE and text encoder. Images are
/// centre-cropped and resized to <see cref="ImageSize"/>; VAE moments can be cached per index
/// (the encoder is frozen, so they never change; <see cref="MomentsCache"/>); caption dropout replaces captions by "" with
/// probability p (the unconditional prompt of classifier-free guidance).
/// </summary>
public sealed class BatchBuilder(IImageCaptionSource source, AutoencoderKL vae, ClipTextModel textEncoder, ClipTokenizer tokenizer,
    int imageSize, ulong seed, double captionDropout = 0, bool cacheLatents = true)
{
    public InfiniteSampler Sampler { get; } = new(source.Count, seed);
    public Generator LatentNoise { get; } = new(seed + 1);
    public Generator Dropout { get; } = new(seed + 2);
    public int ImageSize { get; } = imageSize;

    /// <summary>Where encoded items are kept: by default this builder's own (none without
    /// <c>cacheLatents</c>); a build passes one to all its stages, so each item is encoded once.</summary>
    public VaeMomentsCache? MomentsCache { get; init; } = cacheLatents ? new VaeMomentsCache() : null;

    /// <summary>Where validation batches come from (<see cref="Fixed"/>); null: the first items of the
    /// training source. Set it to data the run never trains on to get true held-out numbers.</summary>
    public IImageCaptionSource? Validation { get; init; }

    /// <summary>An on-disk cache of VAE moments and caption embeddings (<see cref="LatentCache"/>);
    /// null: moments are cached in memory only and captions are encoded every batch.</summary>
    public LatentCache? DiskCache { get; init; }

    /// <summary>SDXL-class models: captions go through both text encoders, with iCD-XL's time ids at
    /// <see cref="ImageSize"/> (<see cref="SdxlPromptEncoder"/>); null: the one text encoder.</summary>
    public SdxlPromptEncoder? XLPrompts { get; init; }

    private Tensor? _empty;

    public TrainingBatch Next(int batchSize)
    {
        if (DiskCache is not null && XLPrompts is not null)
            throw new NotSupportedException("the on-disk caption cache holds one text encoder's states; train SDXL-class models without --cache-dir");
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        var means = new List<Tensor>();
        var logvars = new List<Tensor>();
        var captions = new List<string>();
        var texts = new List<Tensor?>();
        var indices = new List<long>();
        for (int b = 0; b < batchSize; b++)
        {
            long index = Sampler.Next();
            indices.Add(index);
            var (mean, logvar, embedding) = Moments(index, out string caption);
            means.Add(mean);
            logvars.Add(logvar);
            captions.Add(caption);
            texts.Add(embedding);
        }
        var dist = new LatentDistribution(Tensor.Cat(means.ToArray(), 0), Tensor.Cat(logvars.ToArray(), 0));
        var z0 = dist.Sample(LatentNoise) * vae.Config.ScalingFactor;
        if (captionDropout > 0)
        {
            var u = Tensor.Rand([batchSize], Dropout).ToArray<float>();
            for (int b = 0; b < batchSize; b++) if (u[b] < captionDropout) captions[b] = "";
        }
        TextConditioning text;
        if (DiskCache is null)
        {
            text = EncodeCaptions(captions);
        }
        else
        {
            _empty ??= EncodeCaptions([""]).States.DetachFromScope();
            text = Tensor.Cat(captions.Select((c, b) => c.Length == 0 ? _empty : texts[b]!).ToArray(), 0);
        }
        return new TrainingBatch(z0.MoveToOuterScope(), text.MoveToOuterScope(), captions, indices);
    }

    /// <summary>Whether <see cref="Counterfactual"/> can answer (the source is an <see cref="ICounterfactualSource"/>).</summary>
    public bool HasCounterfactuals => source is ICounterfactualSource;

    /// <summary>The latent (VAE mean × scaling factor, 1×C×h×w) of a counterfactual of item
    /// <paramref name="index"/> (<see cref="CounterfactualNoising"/>).</summary>
    public Tensor Counterfactual(long index, ulong seed)
    {
        if (source is not ICounterfactualSource counterfactuals)
            throw new InvalidOperationException($"the training source ({source.GetType().Name}) draws no counterfactual images");
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        using var pixels = ImageTensors.ToTensor(counterfactuals.Counterfactual(index, seed), ImageSize, ImageSize);
        using var dist = vae.Encode(pixels);
        return (dist.Mean * vae.Config.ScalingFactor).MoveToOuterScope();
    }

    /// <summary>Whether <see cref="Grounding"/> can answer (the source is an <see cref="IGroundingSource"/>).</summary>
    public bool HasGrounding => source is IGroundingSource;

    /// <summary>The targets of <see cref="AttentionGrounding"/> for a batch: per row, each grounded
    /// word's token positions in the caption's 77 and its coverage; none for a dropped caption.</summary>
    public AttentionGrounding Grounding(TrainingBatch batch)
    {
        if (source is not IGroundingSource grounding)
            throw new InvalidOperationException($"the training source ({source.GetType().Name}) does not say which pixels its caption words describe");
        var rows = new List<IReadOnlyList<(int[], float[])>>();
        for (int b = 0; b < batch.Captions.Count; b++)
        {
            if (batch.Captions[b].Length == 0)
            {
                rows.Add([]);
                continue;
            }
            var prompt = tokenizer.Tokenize(batch.Captions[b]);
            rows.Add(grounding.Grounding(batch.Indices[b])
                .Select(region => (prompt.TokensOfWord(region.WordIndex), region.Coverage))
                .Where(region => region.Item1.Length > 0)
                .ToList());
        }
        return new AttentionGrounding(rows, ImageSize);
    }

    /// <summary>The frozen text encoder's hidden states for captions, (B, 77, D); for SDXL both
    /// encoders' and the added conditions.</summary>
    private TextConditioning EncodeCaptions(IReadOnlyList<string> captions)
    {
        if (XLPrompts is { } xl) return TextConditioning.ForXL(xl.Encode(captions), ImageSize);
        using var ids = Tensor.FromValues(captions.SelectMany(c => tokenizer.Tokenize(c).Ids).ToArray(), captions.Count, ClipTokenizer.MaxLength);
        return textEncoder.Forward(ids);
    }

    /// <summary>A fixed batch of the first <paramref name="count"/> items of <see cref="Validation"/>
    /// (or of the training source), encoded with the VAE means (no sampling, no dropout): validation
    /// data that leaves the training streams untouched, so validating never changes what a resumed run sees.</summary>
    public TrainingBatch Fixed(int count)
    {
        using var scope = new TensorScope();
        using var noGrad = Autograd.NoGrad();
        var means = new List<Tensor>();
        var captions = new List<string>();
        for (int i = 0; i < count; i++)
        {
            string caption;
            var mean = Validation is null ? Moments(i, out caption).Mean : Encode(Validation, i, out caption).Mean;
            means.Add(mean);
            captions.Add(caption);
        }
        var z0 = Tensor.Cat(means.ToArray(), 0) * vae.Config.ScalingFactor;
        return new TrainingBatch(z0.MoveToOuterScope(), EncodeCaptions(captions).MoveToOuterScope(), captions, Enumerable.Range(0, count).Select(i => (long)i).ToList());
    }

    /// <summary>VAE moments of a training item, from memory, the disk cache or the VAE; with a disk
    /// cache also the caption's embedding (otherwise null: the batch encodes its captions at once).</summary>
    private (Tensor Mean, Tensor LogVar, Tensor? Text) Moments(long index, out string caption)
    {
        if (DiskCache is not null)
        {
            caption = source.Caption(index);
            if (DiskCache.TryGet(index, caption) is { } hit) return hit;
            var (m, v) = Encode(source, index, out _);
            var text = EncodeCaptions([caption]).States;
            DiskCache.Put(index, caption, m, v, text);
            return (m, v, text);
        }
        if (MomentsCache is not null && MomentsCache.TryGet(index, out var cachedMean, out var cachedLogVar))
        {
            caption = source.Caption(index);
            return (cachedMean, cachedLogVar, null);
        }
        var (mean, logVar) = Encode(source, index, out caption);
        MomentsCache?.Add(index, mean, logVar);
        return (mean, logVar, null);
    }

    private (Tensor Mean, Tensor LogVar) Encode(IImageCaptionSource from, long index, out string caption)
    {
        var (image, text) = from.Get(index);
        caption = text;
        using var pixels = ImageTensors.ToTensor(image, ImageSize, ImageSize);
        var dist = vae.Encode(pixels);
        return (dist.Mean, dist.LogVar);
    }

    /// <summary>RNG states and the data position, for bit-exact resume.</summary>
    public void SaveState(IDictionary<string, Tensor> into)
    {
        into["rng/latent"] = LatentNoise.GetState().DetachFromScope();
        into["rng/dropout"] = Dropout.GetState().DetachFromScope();
        into["data/position"] = Tensor.FromValues(new[] { Sampler.Position }).DetachFromScope();
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> from)
    {
        LatentNoise.SetState(from["rng/latent"]);
        Dropout.SetState(from["rng/dropout"]);
        Sampler.Position = (long)from["data/position"].Item();
    }
}
