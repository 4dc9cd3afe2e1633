namespace Icd.Torch.Nn;

public enum WeightLoadProblemKind
{
    Missing,
    Unexpected,
    ShapeMismatch,
    /// <summary>The file's values include NaN or ±infinity (a corrupt or badly converted file).</summary>
    NonFinite,
}

public sealed record WeightLoadProblem(string Key, WeightLoadProblemKind Kind, long[]? Expected, long[]? Actual)
{
    public override string ToString() => Kind switch
    {
        WeightLoadProblemKind.Missing => $"missing key '{Key}' (model expects [{string.Join(", ", Expected!)}])",
        WeightLoadProblemKind.Unexpected => $"unexpected key '{Key}' [{string.Join(", ", Actual!)}] (the model has no such parameter)",
        WeightLoadProblemKind.NonFinite => $"'{Key}' holds NaN or infinite values (the file is corrupt or was converted wrongly)",
        _ => $"shape mismatch for '{Key}': model expects [{string.Join(", ", Expected!)}], file has [{string.Join(", ", Actual!)}]",
    };
}

/// <summary>Weights do not fit the model. Lists every problem, not just the first.</summary>
public sealed class WeightLoadException(string source, IReadOnlyList<WeightLoadProblem> problems)
    : Exception(Format(source, problems))
{
    public string WeightSource { get; } = source;
    public IReadOnlyList<WeightLoadProblem> Problems { get; } = problems;

    private static string Format(string source, IReadOnlyList<WeightLoadProblem> problems)
    {
        const int Shown = 20;
        var lines = problems.Take(Shown).Select(p => "  " + p);
        string more = problems.Count > Shown ? $"\n  ... and {problems.Count - Shown} more" : "";
        return $"{source}: {problems.Count} weight problem(s):\n{string.Join("\n", lines)}{more}";
    }
}
