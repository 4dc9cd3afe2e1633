using Icd.Checkpoints;
using Icd.Denoising;
using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Tests;

/// <summary>Loading diffusers folders in their real formats (made small), and clear errors for
/// hostile or mismatched ones.</summary>
public class LoaderTests
{
    /// <summary>Copies tiny-sd's model folder so a test can alter it.</summary>
    private static string CopyModel(TempDir dir)
    {
        string target = Path.Combine(dir.Path, "model");
        foreach (var file in Directory.GetFiles(Paths.TinySd, "*", SearchOption.AllDirectories))
        {
            string dest = Path.Combine(target, Path.GetRelativePath(Paths.TinySd, file));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }
        return target;
    }

    private static void Rewrite(string path, Func<string, string?> rename, Func<string, Tensor, Tensor>? transform = null, string? to = null)
    {
        var entries = new Dictionary<string, Tensor>();
        using (var file = SafetensorsFile.Open(path))
        {
            foreach (var name in file.Names)
            {
                string? newName = rename(name);
                if (newName is null) continue;
                var t = file.Load(name).DetachFromScope();
                entries[newName] = transform is null ? t : transform(name, t).DetachFromScope();
            }
        }
        SafetensorsWriter.Write(to ?? path, entries);
        foreach (var t in entries.Values) t.Dispose();
    }

    [Fact]
    public void LoadsAnFp16Variant()
    {
        using var dir = new TempDir();
        string model = CopyModel(dir);
        string unetFile = Path.Combine(model, "unet", "diffusion_pytorch_model.safetensors");
        Rewrite(unetFile, n => n, (_, t) => t.To(DType.Float16), Path.Combine(model, "unet", "diffusion_pytorch_model.fp16.safetensors"));
        File.Delete(unetFile);
        using var reference = StableDiffusionLoader.LoadUNet(Path.Combine(Paths.TinySd, "unet"));
        using var half = StableDiffusionLoader.LoadUNet(Path.Combine(model, "unet"), variant: "fp16");
        foreach (var ((name, a), (_, b)) in reference.NamedParameters().Zip(half.NamedParameters()))
        {
            Assert.Equal(DType.Float32, b.DType);
            using var expected = a.To(DType.Float16).To(DType.Float32);
            Assert.Equal(expected.ToArray<float>(), b.ToArray<float>());
        }
    }

    [Fact]
    public void MissingWeightsNameTheFolder()
    {
        using var dir = new TempDir();
        string model = CopyModel(dir);
        File.Delete(Path.Combine(model, "vae", "diffusion_pytorch_model.safetensors"));
        var e = Assert.Throws<FileNotFoundException>(() => StableDiffusionLoader.Load(model));
        Assert.Contains(Path.Combine(model, "vae"), e.Message);
        Assert.Contains("diffusion_pytorch_model.safetensors", e.Message);
    }

    [Fact]
    public void MismatchedCheckpointNamesFileAndKeys()
    {
        using var dir = new TempDir();
        string model = CopyModel(dir);
        string unetFile = Path.Combine(model, "unet", "diffusion_pytorch_model.safetensors");
        Rewrite(unetFile,
            n => n == "conv_in.bias" ? null : n == "conv_out.bias" ? "conv_out.biass" : n,
            (n, t) => n == "time_embedding.linear_1.weight" ? t.Narrow(0, 0, 10).Clone() : t);
        var e = Assert.Throws<WeightLoadException>(() => StableDiffusionLoader.LoadUNet(Path.Combine(model, "unet")));
        Assert.Contains(unetFile, e.Message);
        Assert.Contains("missing key 'conv_in.bias'", e.Message);
        Assert.Contains("missing key 'conv_out.bias'", e.Message);
        Assert.Contains("unexpected key 'conv_out.biass'", e.Message);
        Assert.Contains("shape mismatch for 'time_embedding.linear_1.weight'", e.Message);
    }

    [Fact]
    public void HostileWeightFileIsReportedNotCrashed()
    {
        using var dir = new TempDir();
        string model = CopyModel(dir);
        string unetFile = Path.Combine(model, "unet", "diffusion_pytorch_model.safetensors");
        var bytes = File.ReadAllBytes(unetFile);
        File.WriteAllBytes(unetFile, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<SafetensorsFormatException>(() => StableDiffusionLoader.LoadUNet(Path.Combine(model, "unet")));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void UnsupportedConfigValueIsNamed()
    {
        using var dir = new TempDir();
        string model = CopyModel(dir);
        string config = Path.Combine(model, "unet", "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"attention_type\": \"default\"", "\"attention_type\": \"gated\""));
        var e = Assert.Throws<InvalidDataException>(() => StableDiffusionLoader.LoadUNet(Path.Combine(model, "unet")));
        Assert.Contains("attention_type=\"gated\" is not supported", e.Message);
        Assert.Contains(config, e.Message);
    }

    [Fact]
    public void LegacyVaeAttentionNamesLoad()
    {
        using var dir = new TempDir();
        string model = CopyModel(dir);
        string vaeFile = Path.Combine(model, "vae", "diffusion_pytorch_model.safetensors");
        // Old names, and the weights stored as 1×1 convolutions, as some published VAEs have them.
        Rewrite(vaeFile, n => n.Replace(".to_q.", ".query.").Replace(".to_k.", ".key.").Replace(".to_v.", ".value.").Replace(".to_out.0.", ".proj_attn."),
            (n, t) => n.Contains(".attentions.") && n.EndsWith(".weight") && t.Dim == 2 ? t.Unsqueeze(-1).Unsqueeze(-1) : t);
        using var reference = StableDiffusionLoader.LoadVae(Path.Combine(Paths.TinySd, "vae"));
        using var legacy = StableDiffusionLoader.LoadVae(Path.Combine(model, "vae"));
        foreach (var ((name, a), (_, b)) in reference.NamedParameters().Zip(legacy.NamedParameters()))
            Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
    }

    [Fact]
    public void TextEncoderPositionIdsAreIgnored()
    {
        using var dir = new TempDir();
        string model = CopyModel(dir);
        string file = Path.Combine(model, "text_encoder", "model.safetensors");
        var entries = new Dictionary<string, Tensor>();
        using (var f = SafetensorsFile.Open(file))
            foreach (var n in f.Names) entries[n] = f.Load(n).DetachFromScope();
        entries["text_model.embeddings.position_ids"] = Tensor.Arange(77).Unsqueeze(0).DetachFromScope();
        SafetensorsWriter.Write(file, entries);
        using var te = StableDiffusionLoader.LoadTextEncoder(Path.Combine(model, "text_encoder"));
        Assert.NotNull(te);
        foreach (var t in entries.Values) t.Dispose();
    }

    [Fact]
    public void NotADiffusersFolder()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => StableDiffusionLoader.Load(dir.Path));
        Assert.Contains("model_index.json is missing", e.Message);
    }
}
