namespace Icd.Shapes;

/// <summary>
/// A scene that contradicts its caption in object colours: the counterfactual input of the teacher's
/// recolouring augmentation (<c>Icd.Training.CounterfactualNoising</c>). One object, drawn uniformly,
/// always takes another colour; each other object does with probability ½. A new colour is never
/// the object's own or the background's, so every object stays visible.
/// </summary>
public static class Recolouring
{
    public static Scene Recolour(Scene scene, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(scene);
        var rng = new SplitMix64(seed);
        int always = rng.NextInt(scene.Objects.Count);
        var recoloured = scene;
        for (int i = 0; i < scene.Objects.Count; i++)
        {
            // Drawn for every object, so object i's draw does not depend on the earlier objects' outcomes.
            bool change = rng.NextInt(2) == 0 || i == always;
            var colour = SceneGenerator.RandomColourExcept(rng, scene.Objects[i].Colour, scene.Background);
            if (change) recoloured = recoloured.WithObject(i, scene.Objects[i] with { Colour = colour });
        }
        return recoloured;
    }
}
