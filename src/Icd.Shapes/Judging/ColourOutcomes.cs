namespace Icd.Shapes;

/// <summary>
/// What colour edits produced, beyond right or wrong: whether a failed object kept its source colour
/// (the edit did nothing) or took a third colour (the edit happened, in the wrong colour), the
/// success by the object's size and by whether it is alone in its scene, and the commonest
/// source → wanted → measured confusions. The colour target misses 90 %; this says which kind of miss it is.
/// </summary>
public sealed record ColourOutcomes(
    int Edits,
    int Right,
    int KeptSource,
    int OtherColour,
    ColourOutcomes.Tally Small,
    ColourOutcomes.Tally Large,
    ColourOutcomes.Tally Alone,
    ColourOutcomes.Tally WithOthers,
    IReadOnlyList<ColourOutcomes.Confusion> Confusions)
{
    /// <summary><paramref name="Right"/> of <paramref name="Of"/> edits succeeded.</summary>
    public sealed record Tally(int Right, int Of);

    /// <summary><paramref name="Count"/> failed edits of a <paramref name="Source"/> object wanted
    /// <paramref name="Wanted"/> and came out <paramref name="Measured"/>.</summary>
    public sealed record Confusion(Colour Source, Colour Wanted, Colour Measured, int Count);

    /// <summary>Tallies colour edits with their verdicts (<see cref="EditJudge.Judge"/>); confusions are
    /// the wrong (source, wanted, measured) triples, commonest first, then in palette order.</summary>
    public static ColourOutcomes Of(IReadOnlyList<(Edit Edit, JudgeResult Verdict)> judged)
    {
        ArgumentNullException.ThrowIfNull(judged);
        foreach (var (edit, verdict) in judged)
        {
            if (edit.Kind != EditKind.ChangeColour || verdict.Kind != EditKind.ChangeColour)
                throw new ArgumentException($"colour outcomes take colour edits and their verdicts, got a {edit.Kind} edit judged as {verdict.Kind}", nameof(judged));
            if (verdict.MeasuredColour is null) throw new ArgumentException($"the verdict on {edit} has no measured colour", nameof(judged));
        }
        static Colour SourceColour(Edit e) => e.Source.Objects[e.SourceObject].Colour;
        Tally Count(Func<Edit, bool> which)
        {
            var these = judged.Where(j => which(j.Edit)).ToList();
            return new Tally(these.Count(j => j.Verdict.Success), these.Count);
        }
        var wrong = judged.Where(j => !j.Verdict.Success).ToList();
        var confusions = wrong
            .GroupBy(j => (Source: SourceColour(j.Edit), Wanted: j.Edit.Target.Objects[j.Edit.TargetObject].Colour, Measured: j.Verdict.MeasuredColour!.Value))
            .Select(g => new Confusion(g.Key.Source, g.Key.Wanted, g.Key.Measured, g.Count()))
            .OrderByDescending(c => c.Count).ThenBy(c => c.Source).ThenBy(c => c.Wanted).ThenBy(c => c.Measured)
            .ToList();
        int kept = wrong.Count(j => j.Verdict.MeasuredColour == SourceColour(j.Edit));
        return new ColourOutcomes(
            judged.Count,
            judged.Count - wrong.Count,
            kept,
            wrong.Count - kept,
            Count(e => e.EditedObject!.Size == ObjectSize.Small),
            Count(e => e.EditedObject!.Size == ObjectSize.Large),
            Count(e => e.Source.Objects.Count == 1),
            Count(e => e.Source.Objects.Count > 1),
            confusions);
    }
}
