using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Icd.Torch;
using Icd.Torch.Nn;
using Icd.Torch.Serialization;

namespace Icd.Training;

/// <summary>
/// An on-disk cache of what the frozen networks make of each training item: the VAE posterior
/// moments (mean, log-variance) and the text encoder's embedding of the caption, one small
/// safetensors file per item under <c>items/</c>, written atomically the first time the item is
/// used. The folder's <c>cache.json</c> records a fingerprint of the VAE and text-encoder weights
/// and the image size; a cache made by other networks or at another size is refused by name,
/// never silently reused.
/// </summary>
public sealed class LatentCache
{
    private readonly string _items;

    private LatentCache(string directory)
    {
        Directory = directory;
        _items = Path.Combine(directory, "items");
    }

    public string Directory { get; }

    /// <summary>Opens (or creates) the cache for these networks and image size.</summary>
    public static LatentCache Open(string directory, Module vae, Module textEncoder, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string key = $"size={imageSize.ToString(CultureInfo.InvariantCulture)};vae={Fingerprint(vae)};text={Fingerprint(textEncoder)}";
        string manifest = Path.Combine(directory, "cache.json");
        if (File.Exists(manifest))
        {
            string found = File.ReadAllText(manifest).Trim();
            if (found != key)
                throw new InvalidDataException($"latent cache {directory} was made by other networks or another image size ({manifest} differs); delete the folder or choose another --cache-dir");
        }
        else
        {
            System.IO.Directory.CreateDirectory(directory);
            string temp = manifest + ".tmp";
            File.WriteAllText(temp, key + "\n");
            File.Move(temp, manifest, overwrite: true);
        }
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "items"));
        return new LatentCache(directory);
    }

    private string ItemPath(long index) => Path.Combine(_items, index.ToString("D8", CultureInfo.InvariantCulture) + ".safetensors");

    /// <summary>The cached entry of an item, or null when it has not been written yet. The caption
    /// is checked too: a source whose captions changed gets an error, not stale embeddings.</summary>
    public (Tensor Mean, Tensor LogVar, Tensor Text)? TryGet(long index, string caption)
    {
        string path = ItemPath(index);
        if (!File.Exists(path)) return null;
        using var file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("caption", out var stored) || stored != caption)
            throw new InvalidDataException($"{path}: cached for caption \"{stored}\", but the source now says \"{caption}\"; delete the cache folder {Directory}");
        return (file.Load("mean"), file.Load("logvar"), file.Load("text"));
    }

    public void Put(long index, string caption, Tensor mean, Tensor logVar, Tensor text)
    {
        SafetensorsWriter.Write(ItemPath(index), new Dictionary<string, Tensor> { ["mean"] = mean, ["logvar"] = logVar, ["text"] = text },
            new Dictionary<string, string> { ["caption"] = caption });
    }

    public int Count => System.IO.Directory.GetFiles(_items, "*.safetensors").Length;

    /// <summary>SHA-256 over parameter names, shapes and values: which weights made the cache.</summary>
    public static string Fingerprint(Module module)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, p) in module.NamedParameters())
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name + string.Join("x", p.Shape)));
            using var scope = new TensorScope();
            var values = p.Detach().To(DType.Float32).Contiguous().ToArray<float>();
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
