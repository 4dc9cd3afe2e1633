namespace Icd.Shapes;

/// <summary>The edits of the Shapes world. The first four swap one caption word and keep the word
/// count (Prompt-to-Prompt word replacement applies); remove and add delete or insert a whole object
/// phrase (and may move a list comma), so the word count changes.</summary>
public enum EditKind
{
    ChangeColour,
    ChangeShape,
    ChangeSize,
    ChangeBackground,
    RemoveObject,
    AddObject,
}

public static class EditKinds
{
    public static EditKind[] All { get; } = Enum.GetValues<EditKind>();

    /// <summary>Whether source and target captions have the same words but one.</summary>
    public static bool KeepsWordCount(this EditKind kind) => kind switch
    {
        EditKind.ChangeColour or EditKind.ChangeShape or EditKind.ChangeSize or EditKind.ChangeBackground => true,
        EditKind.RemoveObject or EditKind.AddObject => false,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), $"{(int)kind} is not an edit kind"),
    };

    /// <summary>Whether the edit is about one object (not the background).</summary>
    public static bool IsObjectEdit(this EditKind kind) => kind != EditKind.ChangeBackground;
}
