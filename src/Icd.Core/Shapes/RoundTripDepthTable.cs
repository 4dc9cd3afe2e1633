using Icd.Imaging;
using Icd.Metrics;
using Icd.Pipelines;
using Icd.Sampling;
using Icd.Torch;

namespace Icd.Shapes;

/// <summary>
/// Where the iCD round trip loses PSNR: the same held-out images inverted once with the forward
/// model, then decoded from each boundary of the trajectory: depth k runs k forward jumps
/// (19 → … → the k-th boundary) and the last k reverse jumps back to 0, unguided. Depth 0 is the VAE
/// round trip alone. The step from one depth to the next is what the k-th pair of jumps costs, so
/// the table says which segment to look at when iCD trails the 50-step DDIM inversion.
/// </summary>
internal static class RoundTripDepthTable
{
    public sealed record Row(int Depth, long Boundary, double Psnr);

    public static List<Row> Run(IcdModel model, IReadOnlyList<(RgbImage Image, string Caption)> images)
    {
        var forward = model.Boundaries.Forward;
        var reverse = model.Boundaries.Reverse;
        if (forward.Count != reverse.Count)
            throw new InvalidOperationException($"the round-trip depth table needs as many forward as reverse jumps ({forward.Count} and {reverse.Count})");
        var sums = new double[forward.Count + 1];
        var pipeline = new IcdPipeline(model);
        var options = new InversionOptions();
        foreach (var (image, caption) in images)
        {
            using var scope = new TensorScope();
            using var noGrad = Autograd.NoGrad();
            var input = ImageTensors.ToImage(model.Preprocess(image, options));
            var (text, _) = model.EncodePrompts(caption);
            using var trajectory = pipeline.Invert(image, caption, options);
            sums[0] += Math.Min(ImageMetrics.Psnr(input, model.DecodeLatents(trajectory.Z0)[0]), 100);
            for (int depth = 1; depth <= forward.Count; depth++)
            {
                var x = trajectory.Latents[depth];
                for (int j = reverse.Count - depth; j < reverse.Count; j++)
                {
                    var (t, s) = reverse[j];
                    using var eps = model.Reverse.Epsilon(x, t, text, [0]);
                    x = ConsistencyJump.Apply(model.Schedule, x, eps, t, s).Previous;
                }
                sums[depth] += Math.Min(ImageMetrics.Psnr(input, model.DecodeLatents(x)[0]), 100);
            }
        }
        return sums.Select((sum, depth) => new Row(depth, depth == 0 ? 0 : forward[depth - 1].S, sum / images.Count)).ToList();
    }
}
