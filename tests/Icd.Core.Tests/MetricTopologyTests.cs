using Icd.Metrics.Clip;
using Icd.Metrics.Dino;
using Icd.Metrics.Fid;
using Icd.Metrics.ImageReward;
using Icd.Text;
using Icd.Torch.Nn;

namespace Icd.Tests;

/// <summary>The full-size metric networks have exactly the state-dict keys, shapes and parameter
/// counts of the upstream models (tests/reference/full-size-keys, listed by the reference scripts
/// from transformers, ImageReward's BLIP and pytorch-fid), so the released files load strictly.</summary>
public class MetricTopologyTests
{
    public static TheoryData<string> Networks => new("clip-vit-large-patch14", "clip-vit-base-patch32", "dinov2-base", "dino-vitb8", "imagereward-v1.0", "pt_inception-2015-12-05");

    [Theory]
    [MemberData(nameof(Networks))]
    public void KeysShapesAndParameterCountMatchUpstream(string network)
    {
        var (count, expected) = Read(network);
        using var model = Build(network);
        // Keys the upstream model has that icd deliberately does not build (skipped when loading).
        bool Skipped(string key) => key.EndsWith("position_ids", StringComparison.Ordinal)
            || key.StartsWith("blip.vision_proj.", StringComparison.Ordinal) || key.StartsWith("blip.text_proj.", StringComparison.Ordinal);
        var actual = model.NamedParameters().Concat(model.NamedBuffers()).ToDictionary(p => p.Item1, p => string.Join(",", p.Item2.Shape));
        var wanted = expected.Where(e => !Skipped(e.Key)).ToDictionary(e => e.Key, e => e.Value);
        Assert.Empty(wanted.Keys.Except(actual.Keys));
        Assert.Empty(actual.Keys.Except(wanted.Keys));
        foreach (var (key, shape) in wanted) Assert.True(shape == actual[key], $"{key}: [{actual[key]}], upstream [{shape}]");
        long skippedParameters = expected.Where(e => Skipped(e.Key) && !e.Key.EndsWith("position_ids", StringComparison.Ordinal))
            .Sum(e => e.Value.Split(',').Aggregate(1L, (a, b) => a * long.Parse(b, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(count, model.ParameterCount() + skippedParameters);
    }

    private static Module Build(string network) => network switch
    {
        "clip-vit-large-patch14" => new ClipModel(new ClipConfig
        {
            ProjectionDim = 768,
            TextConfig = new ClipTextConfig { HiddenSize = 768, IntermediateSize = 3072, NumAttentionHeads = 12, NumHiddenLayers = 12, EosTokenId = 2 },
            VisionConfig = new ClipVisionConfig { HiddenSize = 1024, IntermediateSize = 4096, NumAttentionHeads = 16, NumHiddenLayers = 24, PatchSize = 14 },
        }),
        "clip-vit-base-patch32" => new ClipModel(new ClipConfig { TextConfig = new ClipTextConfig { HiddenSize = 512, IntermediateSize = 2048, NumAttentionHeads = 8, EosTokenId = 2 } }),
        "dinov2-base" => new Dinov2Model(new Dinov2Config()),
        "dino-vitb8" => new VitModel(new VitConfig { PatchSize = 8 }),
        "imagereward-v1.0" => new ImageRewardModel(new BlipVisionConfig(), new MedBertConfig()),
        "pt_inception-2015-12-05" => new FidInceptionV3(),
        _ => throw new ArgumentOutOfRangeException(nameof(network)),
    };

    private static (long Count, Dictionary<string, string> Shapes) Read(string network)
    {
        var lines = File.ReadAllLines(Path.Combine(Paths.MetricReference, "full-size-keys", network + ".txt"));
        long count = long.Parse(lines[0].Replace("# parameters", "", StringComparison.Ordinal).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var shapes = lines.Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('\t'))
            .ToDictionary(p => p[0], p => p[1].Trim('[', ']').Replace(" ", "", StringComparison.Ordinal));
        return (count, shapes);
    }
}
