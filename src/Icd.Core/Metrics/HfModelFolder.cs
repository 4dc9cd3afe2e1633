using Icd.Hub;
using Icd.Torch.Nn;

namespace Icd.Metrics;

/// <summary>Loads a transformers model folder as released (<c>config.json</c> with
/// <c>model.safetensors</c>, else <c>pytorch_model.bin</c> through the safe torch.save reader) into
/// a module whose parameter names are the checkpoint's. The folder may also be a hub repo id in the
/// Hugging Face cache. The module comes back in inference mode without gradients.</summary>
public static class HfModelFolder
{
    public static readonly string[] WeightFiles = ["model.safetensors", "pytorch_model.bin"];

    public static TModule Load<TModule>(string directory, string network, Func<string, TModule> create, Func<string, string?>? rename = null) where TModule : Module
    {
        string folder = HubPaths.Resolve(directory, Environment.CurrentDirectory);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{network} needs its model folder: {folder} does not exist (`icd pull metrics` fetches it)");
        string config = Path.Combine(folder, "config.json");
        if (!File.Exists(config)) throw new FileNotFoundException($"{network}: {config} is missing", config);
        string weights = WeightFiles.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{network}: {folder} has neither {string.Join(" nor ", WeightFiles)}");
        var module = create(config);
        try
        {
            LoadWeights(module, weights, rename);
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>Copies a released weight file into <paramref name="module"/> (strict); constant
    /// <c>position_ids</c> buffers some checkpoints carry are skipped.</summary>
    public static void LoadWeights(Module module, string weightsPath, Func<string, string?>? rename = null)
    {
        using var weights = WeightSource.Open(weightsPath);
        string? Map(string name) => name.EndsWith("position_ids", StringComparison.Ordinal) ? null : rename is null ? name : rename(name);
        module.LoadStateDict(new MappedSource(weights.Source, Map));
        module.Eval();
        module.SetRequiresGrad(false);
    }
}
