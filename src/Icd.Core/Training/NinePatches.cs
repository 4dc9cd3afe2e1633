using Icd.Torch;

namespace Icd.Training;

/// <summary>
/// Inverse-and-Edit's LPIPS patching (METHOD D2): 224² patches with stride 110 over a 512² image,
/// i.e. offsets 0, 110, 220 on each axis (nine patches; the last 68 pixels are not covered). For
/// other sizes the patch and stride scale with the image (64²: 28 and 14).
/// </summary>
public static class NinePatches
{
    public static (int Patch, int Stride) For(int imageSize) =>
        imageSize == 512 ? (224, 110) : ((int)Math.Round(224.0 * imageSize / 512), (int)Math.Round(110.0 * imageSize / 512));

    /// <summary>Top-left offsets along one axis.</summary>
    public static int[] Offsets(int imageSize)
    {
        var (patch, stride) = For(imageSize);
        return Enumerable.Range(0, int.MaxValue).Select(i => i * stride).TakeWhile(o => o + patch <= imageSize).ToArray();
    }

    /// <summary>(B, C, S, S) → (B·n², C, patch, patch), row-major over offsets.</summary>
    public static Tensor Extract(Tensor images)
    {
        int size = (int)images.Size(2);
        var (patch, _) = For(size);
        var offsets = Offsets(size);
        var patches = new List<Tensor>();
        using var scope = new TensorScope();
        foreach (int y in offsets)
            foreach (int x in offsets)
                patches.Add(images.Narrow(2, y, patch).Narrow(3, x, patch).Unsqueeze(1));
        long b = images.Size(0), c = images.Size(1);
        return Tensor.Cat(patches.ToArray(), 1).Reshape(b * patches.Count, c, patch, patch).MoveToOuterScope();
    }
}
