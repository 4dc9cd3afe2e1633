using Icd.Blocks;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Denoising;

/// <summary>
/// diffusers' UNet2DConditionModel for SD1.5- and SDXL-class configs, with the guidance-scale
/// embedding input of guidance-distilled models (<c>time_cond_proj_dim</c>) and SDXL's added
/// conditions (<c>addition_embed_type: "text_time"</c>). ε = UNet(x_t, t, text, w-embedding[, added]).
/// Attention layers report to <see cref="Hooks"/> (controller, feature capture).
/// </summary>
public sealed class UNet2DConditionModel : Module
{
    private readonly Conv2d _convIn, _convOut;
    private readonly TimestepEmbedding _timeEmbedding;
    private readonly TimestepEmbedding? _addEmbedding;
    private readonly ModuleList<DownBlock> _downBlocks;
    private readonly MidBlock _midBlock;
    private readonly ModuleList<UpBlock> _upBlocks;
    private readonly GroupNorm _convNormOut;

    public UNet2DConditionModel(UNetConfig config)
    {
        Config = config.Validate();
        Hooks = new UNetHooks();
        var channels = config.BlockOutChannels;
        int n = channels.Length;
        _convIn = Child("conv_in", new Conv2d(config.InChannels, channels[0], config.ConvInKernel, padding: (config.ConvInKernel - 1) / 2));
        _timeEmbedding = Child("time_embedding", new TimestepEmbedding(channels[0], config.TimeEmbedDim, config.TimeCondProjDim));
        if (config.AdditionEmbedType is "text_time")
            _addEmbedding = Child("add_embedding", new TimestepEmbedding(config.ProjectionClassEmbeddingsInputDim!.Value, config.TimeEmbedDim, null));

        _downBlocks = Child("down_blocks", new ModuleList<DownBlock>());
        long outChannels = channels[0];
        for (int i = 0; i < n; i++)
        {
            long inChannels = outChannels;
            outChannels = channels[i];
            _downBlocks.Add(new DownBlock(config, i, inChannels, outChannels, config.DownBlockTypes[i] == "CrossAttnDownBlock2D",
                addDownsample: i < n - 1, Hooks));
        }

        _midBlock = Child("mid_block", new MidBlock(config, Hooks));

        _upBlocks = Child("up_blocks", new ModuleList<UpBlock>());
        var reversed = channels.Reverse().ToArray();
        long output = reversed[0];
        for (int i = 0; i < n; i++)
        {
            long prev = output;
            output = reversed[i];
            long input = reversed[Math.Min(i + 1, n - 1)];
            int block = n - 1 - i; // per-block lists are reversed for the up path
            _upBlocks.Add(new UpBlock(config, i, input, prev, output, config.HeadsFor(block), config.TransformerLayersFor(block),
                config.UpBlockTypes[i] == "CrossAttnUpBlock2D", addUpsample: i < n - 1, Hooks));
        }

        _convNormOut = Child("conv_norm_out", new GroupNorm(config.NormNumGroups, channels[0], config.NormEps));
        _convOut = Child("conv_out", new Conv2d(channels[0], config.OutChannels, config.ConvOutKernel, padding: (config.ConvOutKernel - 1) / 2));
    }

    public UNetConfig Config { get; }

    public UNetHooks Hooks { get; }

    /// <summary>Activation checkpointing of every resnet and transformer block while a graph is
    /// recorded: training memory drops to the blocks' inputs plus one block's activations, for one
    /// extra forward pass. Gradients reach parameters through <c>Autograd.Backward</c> only.</summary>
    public bool GradientCheckpointing
    {
        get => Hooks.GradientCheckpointing;
        set => Hooks.GradientCheckpointing = value;
    }

    /// <summary>The dtype the UNet computes in (its weights'): inputs are cast to it, and the
    /// prediction comes back in the sample's dtype, so schedulers keep float32.</summary>
    public DType ComputeType => _convIn.Weight.DType;

    /// <summary>Spatial sizes must be divisible by this (2^(number of downsamplers)).</summary>
    public int SizeMultiple => 1 << (Config.BlockOutChannels.Length - 1);

    /// <summary>Installs an attention controller until the result is disposed.</summary>
    public IDisposable UseController(IAttentionController controller)
    {
        if (Hooks.Controller is not null) throw new InvalidOperationException("an attention controller is already installed on this UNet");
        Hooks.Controller = controller;
        return new ControllerScope(Hooks);
    }

    private sealed class ControllerScope(UNetHooks hooks, IAttentionController? restore = null) : IDisposable
    {
        public void Dispose() => hooks.Controller = restore;
    }

    /// <summary>Takes the attention controller off until disposed (for the unconditional pass of
    /// classical CFG: Prompt-to-Prompt edits only the conditional branch).</summary>
    public IDisposable SuspendController()
    {
        var current = Hooks.Controller;
        Hooks.Controller = null;
        return new ControllerScope(Hooks, current);
    }

    /// <summary>
    /// ε prediction. <paramref name="sample"/> (B, C, H, W); <paramref name="timesteps"/> (B) or (1)
    /// integer steps; <paramref name="encoderHiddenStates"/> (B, 77, cross_attention_dim);
    /// <paramref name="timestepCond"/> (B, time_cond_proj_dim) for guidance-distilled models;
    /// <paramref name="added"/> the pooled text embedding and time ids of SDXL-class models.
    /// </summary>
    public Tensor Forward(Tensor sample, Tensor timesteps, Tensor encoderHiddenStates, Tensor? timestepCond = null, AddedConditions? added = null)
    {
        long b = sample.Size(0), h = sample.Size(2), w = sample.Size(3);
        if (sample.Dim != 4 || sample.Size(1) != Config.InChannels)
            throw new ArgumentException($"sample must be (B, {Config.InChannels}, H, W), got {sample.Describe()}", nameof(sample));
        if (h % SizeMultiple != 0 || w % SizeMultiple != 0)
            throw new ArgumentException($"sample height and width must be multiples of {SizeMultiple}, got {h}×{w}", nameof(sample));
        if (encoderHiddenStates.Dim != 3 || encoderHiddenStates.Size(0) != b || encoderHiddenStates.Size(2) != Config.CrossAttentionDim)
            throw new ArgumentException($"encoder_hidden_states must be ({b}, T, {Config.CrossAttentionDim}), got {encoderHiddenStates.Describe()}", nameof(encoderHiddenStates));
        if (_timeEmbedding.HasCondProj && timestepCond is null)
            throw new ArgumentNullException(nameof(timestepCond), "this UNet is guidance-distilled (time_cond_proj_dim is set): pass the guidance embedding, w = 0 included (it is not a zero vector)");

        CheckAdded(added, b);

        using var scope = new TensorScope();
        var inputType = sample.DType;
        var dtype = ComputeType;
        if (inputType != dtype) sample = sample.To(dtype);
        if (encoderHiddenStates.DType != dtype) encoderHiddenStates = encoderHiddenStates.To(dtype);
        var t = timesteps.Dim == 0 ? timesteps.Unsqueeze(0) : timesteps;
        if (t.Size(0) == 1 && b > 1) t = t.Expand(b);
        if (t.Device != sample.Device) t = t.To(sample.Device);
        var tEmb = Embeddings.Timestep(t, Config.BlockOutChannels[0], Config.FlipSinToCos, Config.FreqShift).To(sample.DType);
        var emb = _timeEmbedding.Forward(tEmb, timestepCond?.To(sample.DType));
        if (_addEmbedding is not null)
        {
            // Each time id gets the timestep's sinusoidal embedding; (B·6, d) → (B, 6·d) behind the text embedding.
            var ids = Embeddings.Timestep(added!.TimeIds.Reshape(-1), Config.AdditionTimeEmbedDim!.Value, Config.FlipSinToCos, Config.FreqShift)
                .Reshape(b, -1);
            emb = emb + _addEmbedding.Forward(Tensor.Cat([added.TextEmbeds.To(DType.Float32), ids], -1).To(sample.DType), null);
        }

        var x = _convIn.Forward(sample);
        var skips = new List<Tensor> { x };
        foreach (var block in _downBlocks.Items)
        {
            (x, var blockSkips) = block.Forward(x, emb, encoderHiddenStates);
            skips.AddRange(blockSkips);
        }
        x = _midBlock.Forward(x, emb, encoderHiddenStates);
        for (int i = 0; i < _upBlocks.Count; i++)
        {
            var block = _upBlocks[i];
            // The upsampler must produce the size of the next block's first skip connection.
            (long, long)? upsampleSize = null;
            if (i < _upBlocks.Count - 1)
            {
                var next = skips[^(block.ResnetCount + 1)];
                upsampleSize = (next.Size(2), next.Size(3));
            }
            x = block.Forward(x, skips, emb, encoderHiddenStates, upsampleSize);
        }
        var output = _convOut.Forward(_convNormOut.Forward(x).Silu());
        return (output.DType == inputType ? output : output.To(inputType)).MoveToOuterScope();
    }

    /// <summary>ε prediction at one integer timestep for the whole batch.</summary>
    public Tensor Forward(Tensor sample, long timestep, Tensor encoderHiddenStates, Tensor? timestepCond = null, AddedConditions? added = null)
    {
        using var t = Tensor.FromValues(new[] { timestep });
        return Forward(sample, t, encoderHiddenStates, timestepCond, added);
    }

    private void CheckAdded(AddedConditions? added, long batch)
    {
        if (_addEmbedding is null)
        {
            if (added is not null) throw new ArgumentException("added conditions (text_embeds, time_ids) given, but this UNet has no addition_embed_type", nameof(added));
            return;
        }
        if (added is null)
            throw new ArgumentNullException(nameof(added), "this UNet is SDXL-class (addition_embed_type \"text_time\"): pass the pooled text embedding and the six time ids");
        long p = Config.AddedTextEmbedsDim!.Value;
        if (added.TextEmbeds.Dim != 2 || added.TextEmbeds.Size(0) != batch || added.TextEmbeds.Size(1) != p)
            throw new ArgumentException($"text_embeds must be ({batch}, {p}), got {added.TextEmbeds.Describe()}", nameof(added));
        if (added.TimeIds.Dim != 2 || added.TimeIds.Size(0) != batch || added.TimeIds.Size(1) != 6)
            throw new ArgumentException($"time_ids must be ({batch}, 6), got {added.TimeIds.Describe()}", nameof(added));
    }
}
