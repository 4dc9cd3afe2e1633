using System.Text.Json;
using Icd.Imaging;
using Icd.Shapes;

namespace Icd.Benchmarks.PieBench;

/// <summary>
/// A small benchmark in PIE-Bench's published layout made from Shapes edits, so the PIE pipeline
/// runs end to end without the real data: 512² renders in <c>annotation_images/</c>, and
/// <c>mapping_file.json</c> with captions whose edited words are in [ ] as PIE marks them, the
/// blended words, the true change mask RLE-encoded as PIE encodes its masks, and an editing type.
/// </summary>
public static class ShapesPieData
{
    private static readonly Dictionary<EditKind, string> TypeOf = new()
    {
        [EditKind.ChangeShape] = "1", [EditKind.AddObject] = "2", [EditKind.RemoveObject] = "3",
        [EditKind.ChangeSize] = "4", [EditKind.ChangeColour] = "6", [EditKind.ChangeBackground] = "8",
    };

    public static void Write(string folder, int perKind, ulong seed = 7, ShapesSplit split = ShapesSplit.HeldOut)
    {
        var edits = ShapesBenchmark.Create(seed, perKind, split);
        string images = Path.Combine(folder, "annotation_images", "shapes");
        Directory.CreateDirectory(images);
        var mapping = new Dictionary<string, object>();
        for (int i = 0; i < edits.Count; i++)
        {
            var e = edits[i];
            string id = $"{i:D12}";
            PngEncoder.Write(Path.Combine(images, id + ".png"), ShapesRenderer.Render(e.Source, PieMask.Size));
            var mask = ChangeMaskRule.For(e.Kind, e.Source, e.Target, e.SourceObject, e.TargetObject, PieMask.Size);
            mapping[id] = new Dictionary<string, object>
            {
                ["image_path"] = $"shapes/{id}.png",
                ["original_prompt"] = Bracket(e.SourceCaption.Words, e.Blend.SourceIndex),
                ["editing_prompt"] = Bracket(e.TargetCaption.Words, e.Blend.TargetIndex),
                ["editing_instruction"] = $"{e.Kind}",
                ["editing_type_id"] = TypeOf[e.Kind],
                ["blended_word"] = $"{e.Blend.Source} {e.Blend.Target}",
                ["mask"] = PieMask.Encode(mask.Values),
            };
        }
        AtomicFile.WriteAllText(Path.Combine(folder, "mapping_file.json"), JsonSerializer.Serialize(mapping, new JsonSerializerOptions { WriteIndented = false }));
    }

    private static string Bracket(IReadOnlyList<string> words, int index) =>
        string.Join(" ", words.Select((w, i) => i == index ? $"[{w}]" : w));
}
