namespace Icd.Benchmarks.PieBench;

/// <summary>One editing case: the source image, its caption, the target caption (PIE's [ ] marks
/// removed), PIE's editing type (0–9; null in iCD's CSVs), the blended words (source word, target
/// word) for LocalBlend, and the edit mask (512×512, true = edited; null when the data has none).</summary>
public sealed record PieBenchItem(string Id, string ImagePath, string SourcePrompt, string TargetPrompt, string? EditingType,
    (string Source, string Target)? BlendedWords, bool[]? Mask);

/// <summary>PIE-Bench's editing types (its mapping_file.json's editing_type_id).</summary>
public static class PieEditingTypes
{
    public static readonly string[] Names =
    [
        "random", "change object", "add object", "delete object", "change attribute (content)", "change attribute (pose)",
        "change attribute (color)", "change attribute (material)", "change background", "change style",
    ];

    public static string Name(string? id) =>
        int.TryParse(id, out int k) && k >= 0 && k < Names.Length ? $"{k} {Names[k]}" : id ?? "—";
}
