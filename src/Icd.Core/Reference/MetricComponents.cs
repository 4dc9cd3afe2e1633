using System.Text.Json;
using Icd.Imaging;
using Icd.Metrics;
using Icd.Metrics.Clip;
using Icd.Metrics.Dino;
using Icd.Metrics.Fid;
using Icd.Metrics.ImageReward;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Reference;

/// <summary>
/// The metric networks' reference components (cases made by <c>tests/tools/make_*_reference.py</c>
/// from the upstream implementations): each case's <c>model/</c> folder holds one network as its
/// library saves it, loaded on first use.
/// </summary>
internal sealed class MetricComponents(string modelDirectory) : IDisposable
{
    private readonly Dictionary<string, Module> _models = new();

    public Dictionary<string, Tensor> Run(string component, JsonElement inputs, Func<string, Tensor> input)
    {
        switch (component)
        {
            case "clip_vision":
            {
                var clip = Model("clip", ClipModel.Load);
                using var states = clip.VisionModel.Forward(input("pixel_values"));
                return new()
                {
                    ["last_hidden_state"] = states.LastHiddenState.Share(), ["pooler_output"] = states.PoolerOutput.Share(),
                    ["image_embeds"] = clip.ImageFeatures(input("pixel_values")),
                };
            }
            case "clip_text":
            {
                var clip = Model("clip", ClipModel.Load);
                var ids = input("input_ids");
                var states = clip.TextModel.Forward(ids);
                return new()
                {
                    ["last_hidden_state"] = states.LastHiddenState, ["pooler_output"] = clip.TextModel.Pool(states.LastHiddenState, ids),
                    ["text_embeds"] = clip.TextFeatures(ids),
                };
            }
            case "clip_score":
            {
                var clip = Model("clip", ClipModel.Load);
                Tensor Unit(Tensor x) => x / x.Norm(2, [-1], keepDim: true);
                var image = Unit(clip.ImageFeatures(input("pixel_values")));
                var text = Unit(clip.TextFeatures(input("input_ids")));
                var other = Unit(clip.ImageFeatures(input("pixel_values_b")));
                var imageText = (image * text).Sum(1);
                return new()
                {
                    ["image_text_cosine"] = imageText, ["image_image_cosine"] = (image * other).Sum(1),
                    ["clip_score"] = (imageText * 100).Clamp(min: 0),
                };
            }
            case "clip_preprocess":
            {
                string config = Path.Combine(modelDirectory, "preprocessor_config.json");
                var processor = File.Exists(config) ? HfImageProcessor.Load(config) : new HfImageProcessor();
                return new() { ["pixel_values"] = processor.Preprocess([ToImage(input("image"))]) };
            }
            case "dinov2_preprocess":
                return new() { ["pixel_values"] = HfImageProcessor.Load(Path.Combine(modelDirectory, "preprocessor_config.json")).Preprocess([ToImage(input("image"))]) };
            case "dinov2":
            {
                var (last, pooled) = Model("dinov2", Dinov2Model.Load).Forward(input("pixel_values"));
                return new() { ["last_hidden_state"] = last, ["pooler_output"] = pooled };
            }
            case "vit":
                return new() { ["last_hidden_state"] = Model("vit", VitModel.Load).Forward(input("pixel_values")) };
            case "dino_vit_keys":
            {
                var dino = Model("vit", VitModel.Load);
                var pixels = input("pixel_values");
                using var distance = new StructureDistance(dino, ownsModel: false);
                long heads = dino.Config.NumAttentionHeads;
                var keys = dino.Keys(pixels);
                keys = keys.View(keys.Size(0), keys.Size(1), heads, -1).Permute(0, 2, 1, 3);   // PIE's (B, heads, T, d)
                var similarity = Enumerable.Range(0, (int)pixels.Size(0)).Select(i => distance.SelfSimilarity(pixels.Narrow(0, i, 1)).Unsqueeze(0)).ToArray();
                return new() { ["keys"] = keys, ["self_similarity"] = Tensor.Cat(similarity, 0) };
            }
            case "dino_structure_distance":
            {
                using var distance = new StructureDistance(Model("vit", VitModel.Load), ownsModel: false);
                double d = distance.Distance(ToImage(input("image_a")), ToImage(input("image_b")));
                return new() { ["distance"] = Tensor.FromValues(new[] { (float)d }).View() };
            }
            case "bert_tokenizer":
            {
                var (ids, mask) = BlipTokenizer.Load(Path.Combine(modelDirectory, "vocab.txt")).Encode([inputs.GetProperty("text").GetString()!]);
                return new() { ["input_ids"] = Tensor.FromValues(ids, 1, ids.Length), ["attention_mask"] = Tensor.FromValues(mask, 1, mask.Length) };
            }
            case "imagereward_preprocess":
                return new() { ["pixel_values"] = ImageRewardScorer.Preprocess([ToImage(input("image"))], inputs.GetProperty("size").GetInt32()) };
            case "imagereward_vision":
                return new() { ["image_embeds"] = Model("imagereward", ImageRewardModel.Load).VisualEncoder.Forward(input("pixel_values")) };
            case "imagereward_text":
            {
                var text = Model("imagereward", ImageRewardModel.Load).TextEncoder;
                return new() { ["last_hidden_state"] = text.Forward(input("input_ids"), input("attention_mask"), input("image_embeds")) };
            }
            case "imagereward_score":
            {
                var model = Model("imagereward", ImageRewardModel.Load);
                var raw = model.RawReward(input("pixel_values"), input("input_ids"), input("attention_mask"));
                return new() { ["raw"] = raw, ["reward"] = (raw - ImageRewardModel.RewardMean) / ImageRewardModel.RewardStd };
            }
            case "fid_inception":
                return new() { ["pool3"] = Model("inception", _ => SeededWeights.Inception()).Features(input("images")) };
            case "fid_inception_dims":
            {
                var inception = Model("inception", _ => SeededWeights.Inception());
                var images = input("images");
                return new()
                {
                    ["dims64"] = inception.Features(images, 64), ["dims192"] = inception.Features(images, 192),
                    ["dims768"] = inception.Features(images, 768), ["pool3"] = inception.Features(images, 2048),
                };
            }
            default:
                throw new NotSupportedException($"unknown component '{component}'");
        }
    }

    private T Model<T>(string key, Func<string, T> load) where T : Module
    {
        if (!_models.TryGetValue(key, out var model)) _models[key] = model = load(modelDirectory);
        return (T)model;
    }

    /// <summary>An (H, W, 3) or (1, 3, H, W) tensor of 0–255 values → an 8-bit image (the cases store images as float32).</summary>
    public static RgbImage ToImage(Tensor image)
    {
        using var scope = new TensorScope();
        var hwc = image.Dim == 4 && image.Size(0) == 1 && image.Size(1) == 3 ? image.Select(0, 0).Permute(1, 2, 0) : image;
        if (hwc.Dim != 3 || hwc.Size(2) != 3) throw new InvalidDataException($"an image input must be (H, W, 3) or (1, 3, H, W), got [{string.Join(", ", image.Shape)}]");
        var bytes = hwc.Round().Clamp(0, 255).To(DType.UInt8).Contiguous().ToArray<byte>();
        return new RgbImage((int)hwc.Size(1), (int)hwc.Size(0), bytes);
    }

    public void Dispose()
    {
        foreach (var m in _models.Values) m.Dispose();
    }
}
