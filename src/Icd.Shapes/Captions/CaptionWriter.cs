namespace Icd.Shapes;

/// <summary>Writes the one caption of a scene in a fixed grammar (lower case, single spaces, no final
/// punctuation):
/// <code>
/// caption  := objects " on a " COLOUR " background"
/// objects  := object                                   one object
///           | object " and " object                    two
///           | object (", " object)* " and " object     three or more (no serial comma)
/// object   := "a " SIZE " " COLOUR " " SHAPE " " position
/// position := "at the top left" | "at the top" | "at the top right" | "on the left" | "in the center"
///           | "on the right" | "at the bottom left" | "at the bottom" | "at the bottom right"
/// </code>
/// e.g. "a large red circle on the left and a small blue square at the top right on a gray background".
/// Objects are listed in scene order. Every object phrase starts "a SIZE", so the article never
/// changes to "an", and attribute edits swap exactly one word and keep the word count.</summary>
public static class CaptionWriter
{
    public static Caption Describe(Scene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        var words = new List<string>(32);
        var roles = new List<WordRole>(32);
        void Add(string word, WordRole role)
        {
            words.Add(word);
            roles.Add(role);
        }

        var objects = scene.Objects;
        for (int i = 0; i < objects.Count; i++)
        {
            if (i > 0 && i == objects.Count - 1) Add("and", WordRole.Function);
            var o = objects[i];
            Add("a", WordRole.Function);
            Add(Words.Of(o.Size), new WordRole(WordKind.Size, i));
            Add(Words.Of(o.Colour), new WordRole(WordKind.Colour, i));
            Add(Words.Of(o.Shape), new WordRole(WordKind.Shape, i));
            var phrase = Words.Of(o.Position);
            for (int k = 0; k < phrase.Count; k++)
                Add(phrase[k], k < Words.PositionFunctionWords ? WordRole.Function : new WordRole(WordKind.Position, i));
            // Lists of three or more separate all but the last two items with a comma.
            if (i < objects.Count - 2) words[^1] += ",";
        }
        Add("on", WordRole.Function);
        Add("a", WordRole.Function);
        Add(Words.Of(scene.Background), WordRole.BackgroundColour);
        Add("background", WordRole.Function);
        return new Caption(words, roles);
    }
}
