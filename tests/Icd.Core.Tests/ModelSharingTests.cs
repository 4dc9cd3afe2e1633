using Icd.Pipelines;

namespace Icd.Tests;

/// <summary>A second manifest over the same networks (Inverse-and-Edit's beside iCD's, the ablation
/// students) loads onto the first model's networks as extra adapters, and computes exactly what it
/// computes when loaded alone.</summary>
public class ModelSharingTests
{
    private static string Data(string file) => Path.Combine(AppContext.BaseDirectory, "Data", file);

    private static string Manifest(TempDir dir, string name, string forward, string reverse, string extra = "")
    {
        string path = Path.Combine(dir.Path, name);
        File.WriteAllText(path, $$"""
            { "base": "{{Paths.TinySd.Replace("\\", "/")}}", "forward_lora": "{{forward.Replace("\\", "/")}}",
              "reverse_lora": "{{reverse.Replace("\\", "/")}}", "forward_timesteps": [0, 259, 519, 779]{{extra}} }
            """);
        return path;
    }

    private static byte[] Reconstruct(IcdModel model) =>
        new IcdPipeline(model).Reconstruct(PipelineTests.TestImage(64), "a photo", new InversionOptions { Size = 64 }).Reconstruction.Pixels;

    [Fact]
    public void SharedModelUsesOneCopyAndMatchesItsOwnLoad()
    {
        using var dir = new TempDir();
        string copy = Path.Combine(dir.Path, "other_forward.safetensors");
        File.Copy(Data("lora_kohya.safetensors"), copy);
        string first = Manifest(dir, "icd.json", Data("lora_peft.safetensors"), Data("lora_kohya.safetensors"));
        // The second names a new forward file (like inverse-and-edit.json) and, as its reverse student,
        // the first's forward file: students the first model does not compute with.
        string second = Manifest(dir, "second.json", copy, Data("lora_peft.safetensors"));

        byte[] alone;
        using (var own = IcdModel.Load(second)) alone = Reconstruct(own);

        using var model = IcdModel.Load(first);
        byte[] before = Reconstruct(model);
        Assert.NotEqual(before, alone);
        using (var shared = IcdModel.Load(second, sharing: model))
        {
            Assert.Same(model.Networks, shared.Networks);
            Assert.True(shared.SharesNetworks);
            Assert.False(model.SharesNetworks);
            Assert.Equal(IcdModel.ForwardAdapter, shared.Reverse.Adapter); // a file already on the UNet is not attached again
            Assert.Equal(IcdModel.ForwardAdapter + "-2", shared.Forward.Adapter);
            Assert.Equal(alone, Reconstruct(shared));
        }
        // Disposing the sharer leaves the owner's networks, and its results, as they were.
        Assert.Equal(before, Reconstruct(model));
    }

    [Fact]
    public void OtherNetworksLoadTheirOwnCopy()
    {
        using var dir = new TempDir();
        string first = Manifest(dir, "icd.json", Data("lora_peft.safetensors"), Data("lora_kohya.safetensors"));
        string unet = Path.Combine(Paths.TinySd, "unet", "diffusion_pytorch_model.safetensors").Replace("\\", "/");
        string other = Manifest(dir, "other.json", Data("lora_peft.safetensors"), Data("lora_kohya.safetensors"), $", \"unet\": \"{unet}\"");
        using var model = IcdModel.Load(first);
        using var separate = IcdModel.Load(other, sharing: model);
        Assert.NotSame(model.Networks, separate.Networks);
        Assert.False(separate.SharesNetworks);
        Assert.Equal(IcdModel.ForwardAdapter, separate.Forward.Adapter);
    }
}
