using System.Text.Json;
using Icd.Common;
using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Metrics.ImageReward;

/// <summary>
/// ImageReward-v1.0 (Xu et al. 2023): BLIP's ViT-L image tower, BLIP's BERT text encoder that
/// cross-attends to the image tokens, and an MLP (1024, 128, 64, 16, 1; no activations) on the
/// [CLS] state, the reward standardised with the release's mean and std. Parameter names are those
/// of the released <c>ImageReward.pt</c>.
/// </summary>
public sealed class ImageRewardModel : Module
{
    public const double RewardMean = 0.16717362830052426, RewardStd = 1.0333394966054072;
    private static readonly int[] MlpSizes = [1024, 128, 64, 16, 1];
    private static readonly int[] MlpIndices = [0, 2, 4, 6, 7];   // the Dropouts sit at 1, 3, 5
    private readonly BlipVisionTransformer _vision;
    private readonly MedBertModel _text;
    private readonly Linear[] _mlp;

    public ImageRewardModel(BlipVisionConfig vision, MedBertConfig text)
    {
        Vision = vision.Validate("ImageReward vision");
        Text = (text with { EncoderWidth = vision.Width }).Validate("med_config.json");
        var blip = Child("blip", new Container());
        _vision = blip.Add("visual_encoder", new BlipVisionTransformer(Vision));
        _text = blip.Add("text_encoder", new MedBertModel(Text));
        var layers = Child("mlp", new Container()).Add("layers", new Container());
        _mlp = new Linear[MlpSizes.Length];
        for (int i = 0; i < MlpSizes.Length; i++)
            _mlp[i] = layers.Add(MlpIndices[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
                new Linear(i == 0 ? Text.HiddenSize : MlpSizes[i - 1], MlpSizes[i]));
    }

    public BlipVisionConfig Vision { get; }

    public MedBertConfig Text { get; }

    public BlipVisionTransformer VisualEncoder => _vision;

    public MedBertModel TextEncoder => _text;

    /// <summary>
    /// The release (<c>THUDM/ImageReward</c>: <c>ImageReward.pt</c> + <c>med_config.json</c>, ViT-L as
    /// ImageReward hard-codes it), or a folder whose <c>config.json</c> has <c>vision</c> and
    /// <c>med_config</c> sections (the reference cases' small models) with <c>model.safetensors</c>.
    /// </summary>
    public static ImageRewardModel Load(string directory)
    {
        string folder = Hub.HubPaths.Resolve(directory, Environment.CurrentDirectory);
        string config = Path.Combine(folder, "config.json");
        string release = Path.Combine(folder, "ImageReward.pt");
        ImageRewardModel model;
        string weights;
        if (File.Exists(config))
        {
            (var vision, var text) = ReadConfig(config);
            model = new ImageRewardModel(vision, text);
            weights = Path.Combine(folder, "model.safetensors");
        }
        else if (File.Exists(release))
        {
            model = new ImageRewardModel(new BlipVisionConfig(), MedBertConfig.Load(Path.Combine(folder, "med_config.json")));
            weights = release;
        }
        else throw new FileNotFoundException($"ImageReward needs {release} and med_config.json (`icd pull metrics` fetches THUDM/ImageReward)", release);
        try
        {
            if (!File.Exists(weights)) throw new FileNotFoundException($"ImageReward: {weights} is missing", weights);
            // BLIP's contrastive projections are in the file but play no part in the reward.
            HfModelFolder.LoadWeights(model, weights, n => n.StartsWith("blip.vision_proj.", StringComparison.Ordinal) || n.StartsWith("blip.text_proj.", StringComparison.Ordinal) ? null : n);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static (BlipVisionConfig, MedBertConfig) ReadConfig(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var v = doc.RootElement.GetProperty("vision");
            var vision = new BlipVisionConfig(v.GetProperty("img_size").GetInt32(), v.GetProperty("patch_size").GetInt32(),
                v.GetProperty("embed_dim").GetInt32(), v.GetProperty("depth").GetInt32(), v.GetProperty("num_heads").GetInt32(),
                v.GetProperty("mlp_ratio").GetDouble(), v.GetProperty("qkv_bias").GetBoolean(), v.GetProperty("layer_norm_eps").GetDouble());
            var text = ConfigFile.Parse<MedBertConfig>(doc.RootElement.GetProperty("med_config").GetRawText(), path);
            return (vision, text);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not an ImageReward config with 'vision' and 'med_config' ({e.Message})");
        }
    }

    /// <summary>The MLP's output before standardisation, (B).</summary>
    public Tensor RawReward(Tensor pixelValues, Tensor inputIds, Tensor attentionMask)
    {
        using var scope = new TensorScope();
        var image = _vision.Forward(pixelValues);
        var h = _text.Forward(inputIds, attentionMask, image).Select(1, 0);
        foreach (var layer in _mlp) h = layer.Forward(h);
        return h.Squeeze(-1).MoveToOuterScope();
    }

    /// <summary>The reward as ImageReward reports it: (raw − mean)/std.</summary>
    public Tensor Reward(Tensor pixelValues, Tensor inputIds, Tensor attentionMask)
    {
        using var raw = RawReward(pixelValues, inputIds, attentionMask);
        return (raw - RewardMean) / RewardStd;
    }
}
