using Icd.Denoising;
using Icd.Lora;

namespace Icd.Pipelines;

/// <summary>
/// The bookkeeping that lets several manifests use one set of loaded networks
/// (<see cref="IcdModel.Load(string, IcdModel?)"/>): the key of the files the networks came from, and
/// each LoRA file already on the UNet with its adapter name, so a file two manifests name (the
/// reverse student of iCD and of Inverse-and-Edit) is attached once.
/// </summary>
internal sealed class NetworkSharing(UNet2DConditionModel unet, string networksKey)
{
    private readonly Dictionary<(string File, double Alpha), string> _adapters = new();

    /// <summary>Base folder, variant and teacher UNet file, as full paths.</summary>
    public string NetworksKey { get; } = networksKey;

    /// <summary>The adapter holding <paramref name="file"/> at <paramref name="alpha"/>, attached on
    /// first use: the first file of a role gets the role's name, later ones "role-2", "role-3", …</summary>
    public string Adapter(string role, string file, double alpha)
    {
        if (_adapters.TryGetValue((file, alpha), out var name)) return name;
        name = role;
        for (int i = 2; _adapters.ContainsValue(name); i++) name = $"{role}-{i}";
        UNetLora.AttachFile(unet, name, file, alpha);
        _adapters[(file, alpha)] = name;
        return name;
    }
}
