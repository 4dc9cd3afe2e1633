using Icd.Torch.Nn;

namespace Icd.Lora;

/// <summary>Which layers of a UNet carry LoRA (METHOD A3: PEFT target_modules of the iCD students).</summary>
public static class LoraTargets
{
    /// <summary>iCD's target-module suffixes: attention projections, transformer proj_in/out and
    /// feed-forward, and every resnet conv/shortcut/time projection and resampler conv. Not
    /// conv_in, conv_out, time_embedding.* (cond_proj included) or norms.</summary>
    public static readonly string[] Icd =
    [
        "to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2",
        "conv1", "conv2", "conv_shortcut", "downsamplers.0.conv", "upsamplers.0.conv", "time_emb_proj",
    ];

    /// <summary>PEFT's rule: a module is targeted when its path equals a target or ends with "." + target.</summary>
    public static bool Matches(string path, IEnumerable<string> targets) =>
        targets.Any(t => path == t || path.EndsWith("." + t, StringComparison.Ordinal));

    /// <summary>The LoRA-capable layers of <paramref name="model"/> selected by <paramref name="targets"/>, by path.</summary>
    public static Dictionary<string, ILoraLayer> Find(Module model, IEnumerable<string> targets)
    {
        var list = targets.ToList();
        return model.NamedModules()
            .Where(m => m.Module is ILoraLayer && Matches(m.Name, list))
            .ToDictionary(m => m.Name, m => (ILoraLayer)m.Module, StringComparer.Ordinal);
    }
}
