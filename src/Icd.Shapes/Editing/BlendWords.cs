namespace Icd.Shapes;

/// <summary>The words Prompt-to-Prompt's local blend attends to, one per caption, with their indices
/// in <see cref="Edit.SourceCaption"/> and <see cref="Edit.TargetCaption"/> (-1 where the word is
/// absent from that caption: the removed object's shape in the target, the added one's in the
/// source). For attribute edits these are the swapped attribute words ("red" → "blue"); for remove and
/// add, the object's shape word on both sides.</summary>
public sealed record BlendWords(string Source, string Target, int SourceIndex, int TargetIndex)
{
    /// <summary>"src trg", the form Prompt-to-Prompt scripts take, e.g. "red blue".</summary>
    public override string ToString() => $"{Source} {Target}";
}
