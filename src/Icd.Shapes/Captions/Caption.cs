namespace Icd.Shapes;

/// <summary>A caption with its word-level structure: <see cref="Words"/> is <see cref="Text"/> split on
/// single spaces (a list comma stays glued to the word before it, e.g. "left,"), and
/// <see cref="Roles"/>[i] says what word i describes. Prompt-to-Prompt uses this to find which words
/// differ between a source and a target caption. Built by <see cref="CaptionWriter"/>; compared by
/// text.</summary>
public sealed record Caption
{
    private readonly string[] _words;
    private readonly WordRole[] _roles;

    internal Caption(IReadOnlyList<string> words, IReadOnlyList<WordRole> roles)
    {
        if (words.Count != roles.Count) throw new ArgumentException($"{words.Count} words but {roles.Count} roles", nameof(roles));
        _words = words.ToArray();
        _roles = roles.ToArray();
        Text = string.Join(' ', _words);
    }

    public string Text { get; }

    public IReadOnlyList<string> Words => _words;

    public IReadOnlyList<WordRole> Roles => _roles;

    public int Count => _words.Length;

    /// <summary>The index of the first word with role (<paramref name="kind"/>,
    /// <paramref name="objectIndex"/>), or -1. Size, colour and shape occur once per object, the
    /// background colour once per caption.</summary>
    public int IndexOf(WordKind kind, int objectIndex = -1)
    {
        for (int i = 0; i < _roles.Length; i++)
            if (_roles[i].Kind == kind && _roles[i].ObjectIndex == objectIndex) return i;
        return -1;
    }

    /// <summary>The indices where this caption and <paramref name="other"/> have different words;
    /// only meaningful when both have the same word count, which throws otherwise.</summary>
    public IReadOnlyList<int> DifferingWords(Caption other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Count != Count)
            throw new ArgumentException($"captions have {Count} and {other.Count} words; word-by-word comparison needs equal counts", nameof(other));
        var differing = new List<int>();
        for (int i = 0; i < _words.Length; i++)
            if (!string.Equals(_words[i], other._words[i], StringComparison.Ordinal)) differing.Add(i);
        return differing;
    }

    public bool Equals(Caption? other) => other is not null && string.Equals(Text, other.Text, StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Text);

    public override string ToString() => Text;
}
