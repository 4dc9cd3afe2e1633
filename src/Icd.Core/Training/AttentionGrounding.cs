using Icd.Blocks;
using Icd.Torch;

namespace Icd.Training;

/// <summary>
/// A grounding loss on the UNet's cross-attention, in the manner of TokenCompose: for every
/// cross-attention layer, every head and every grounded token k of a caption,
/// L = (1 − Σ_q m_q·a_qk / Σ_q a_qk)², where a_qk is how much query cell q attends to k and m_q is
/// the share of cell q covered by the region the token's word describes (the coverage averaged
/// down to the layer's grid). It is 0 when all of a word's attention falls on its region. The
/// loss is the mean over layers, heads and grounded tokens. Installed as the UNet's attention
/// controller for one forward pass; it records and returns the probabilities unchanged.
/// </summary>
public sealed class AttentionGrounding : IAttentionController, IDisposable
{
    private readonly IReadOnlyList<IReadOnlyList<(int[] Tokens, float[] Coverage)>> _rows;
    private readonly int _imageSize;
    private readonly Dictionary<(long, long), (Tensor Mask, Tensor Weight, double Total)> _targets = new();
    private readonly List<Tensor> _terms = new();

    /// <param name="rows">Per batch row, each grounded word's token positions (into the keys) and its
    /// coverage (row-major, <paramref name="imageSize"/>²); an empty list for a row with no caption.</param>
    public AttentionGrounding(IReadOnlyList<IReadOnlyList<(int[] Tokens, float[] Coverage)>> rows, int imageSize)
    {
        foreach (var row in rows)
            foreach (var (_, coverage) in row)
                if (coverage.Length != (long)imageSize * imageSize)
                    throw new ArgumentException($"a coverage map has {coverage.Length} values; a {imageSize}² image has {imageSize * imageSize}", nameof(rows));
        _rows = rows;
        _imageSize = imageSize;
    }

    /// <summary>Cross-attention layers recorded so far (none while no row has a grounded word).</summary>
    public int Layers => _terms.Count;

    public void BeginStep(int step)
    {
    }

    public void EndStep()
    {
    }

    public Tensor Process(AttentionSite site, Tensor probabilities)
    {
        if (site.Kind != AttentionKind.Cross) return probabilities;
        if (probabilities.Size(0) != _rows.Count)
            throw new InvalidOperationException($"grounding targets for {_rows.Count} rows, but the attention has {probabilities.Size(0)}");
        var (mask, weight, total) = Targets(site.Height, site.Width, probabilities.Size(3));
        if (total == 0) return probabilities;
        using (var scope = new TensorScope())
        {
            // probabilities (B, heads, Q, K); mask (B, 1, Q, K); weight (B, 1, K).
            var onRegion = (probabilities * mask).Sum(2);
            var everywhere = probabilities.Sum(2) + 1e-8;
            var miss = (1.0 - onRegion / everywhere).Square();
            var term = (miss * weight).Sum() / (total * probabilities.Size(1));
            _terms.Add(term.DetachFromScope());
        }
        return probabilities;
    }

    /// <summary>The mean of the recorded layers' terms (0 when no row had a grounded word).</summary>
    public Tensor Loss()
    {
        if (_terms.Count == 0) return Tensor.Zeros([]);
        using var scope = new TensorScope();
        return Tensor.Stack(_terms.ToArray()).Mean().MoveToOuterScope();
    }

    /// <summary>Mask (B, 1, h·w, K) and weight (B, 1, K) at one attention grid, made once.</summary>
    private (Tensor Mask, Tensor Weight, double Total) Targets(long height, long width, long keys)
    {
        if (_targets.TryGetValue((height, width), out var cached)) return cached;
        if (_imageSize % height != 0 || _imageSize % width != 0)
            throw new InvalidOperationException($"a {height}×{width} attention grid does not divide the {_imageSize}² image");
        int fy = (int)(_imageSize / height), fx = (int)(_imageSize / width);
        long cells = height * width, b = _rows.Count;
        var mask = new float[b * cells * keys];
        var weight = new float[b * keys];
        for (int r = 0; r < b; r++)
        {
            foreach (var (tokens, coverage) in _rows[r])
            {
                var pooled = Pool(coverage, height, width, fy, fx);
                foreach (int k in tokens)
                {
                    if (k < 0 || k >= keys) throw new ArgumentOutOfRangeException(nameof(tokens), k, $"token position outside the {keys} keys");
                    weight[r * keys + k] = 1;
                    for (long q = 0; q < cells; q++) mask[(r * cells + q) * keys + k] = pooled[q];
                }
            }
        }
        var entry = (Tensor.FromValues(mask, b, 1, cells, keys).DetachFromScope(), Tensor.FromValues(weight, b, 1, keys).DetachFromScope(),
            (double)weight.Sum());
        _targets[(height, width)] = entry;
        return entry;
    }

    private float[] Pool(float[] coverage, long height, long width, int fy, int fx)
    {
        var pooled = new float[height * width];
        for (int y = 0; y < _imageSize; y++)
            for (int x = 0; x < _imageSize; x++)
                pooled[y / fy * width + x / fx] += coverage[y * _imageSize + x];
        float area = fy * fx;
        for (int i = 0; i < pooled.Length; i++) pooled[i] = Math.Clamp(pooled[i] / area, 0, 1);
        return pooled;
    }

    public void Dispose()
    {
        foreach (var t in _terms) t.Dispose();
        foreach (var (mask, weight, _) in _targets.Values)
        {
            mask.Dispose();
            weight.Dispose();
        }
        _terms.Clear();
        _targets.Clear();
    }
}
