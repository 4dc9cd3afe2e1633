using Icd.Imaging;
using Icd.Pipelines;
using Icd.Sampling;

namespace Icd.Shapes;

/// <summary>
/// The colour-binding check of <c>icd shapes eval</c>: does an object's colour come from the caption
/// or from the start noise? One caption per palette colour ("a large red circle in the center on a
/// gray background", gray itself left out), each generated from the same seeds. A model that reads
/// the colour word gives every caption its own colour on every seed; a model that takes the colour
/// from the noise gives one seed the same colour whatever the caption says.
/// <para>Two numbers per method: colour right (the colour measured where the circle should be is the
/// caption's), and the seed's share: for each seed, the share of captions that came out in that
/// seed's commonest colour, averaged over seeds (<see cref="SeedShare"/>). Reading every colour word
/// gives one over the number of captions (1/11); ignoring them all gives 1.</para>
/// </summary>
internal static class ColourBindingTable
{
    public sealed record Row(string Name, double ColourRight, double SeedShare, int Seeds, int Nfe, double Seconds);

    public const Colour Background = Colour.Gray;

    /// <summary>Seed j of every caption is <see cref="SeedBase"/> + j.</summary>
    public const ulong SeedBase = 1;

    public static IReadOnlyList<Colour> Colours { get; } = Palette.All.Where(c => c != Background).ToArray();

    public static Scene SceneOf(Colour colour) => new(Background, [new ShapeObject(Shape.Circle, colour, ObjectSize.Large, GridPosition.Center)]);

    /// <summary>measured[c][s]: the colour measured for caption c on seed s. Per seed, the largest share
    /// of captions that came out in one colour; the mean over seeds.</summary>
    public static double SeedShare(IReadOnlyList<IReadOnlyList<Colour>> measured)
    {
        if (measured.Count == 0 || measured[0].Count == 0) throw new ArgumentException("no measurements", nameof(measured));
        int seeds = measured[0].Count;
        if (measured.Any(m => m.Count != seeds)) throw new ArgumentException("every caption needs the same number of seeds", nameof(measured));
        return Enumerable.Range(0, seeds)
            .Average(s => measured.GroupBy(m => m[s]).Max(g => g.Count()) / (double)measured.Count);
    }

    /// <summary>The rows (teacher, reverse student) and a grid: one row per caption colour, the teacher's
    /// seeds then the student's.</summary>
    public static (List<Row> Rows, List<IReadOnlyList<RgbImage>> Grid) Run(IcdModel model, int seeds, int ddimSteps, Action<string>? log)
    {
        var rows = new List<Row>();
        if (seeds <= 0) return (rows, []);
        var guidance = GuidanceSchedule.Constant(model.Defaults.GenerationGuidance);
        var grid = Colours.Select(_ => new List<RgbImage>()).ToList();
        foreach (var (name, run) in GenerationTable.Generators(model, ddimSteps))
        {
            log?.Invoke($"colour binding: {name}");
            var measured = new List<IReadOnlyList<Colour>>();
            var seconds = new List<double>();
            int nfe = 0;
            for (int c = 0; c < Colours.Count; c++)
            {
                var scene = SceneOf(Colours[c]);
                string caption = CaptionWriter.Describe(scene).Text;
                var perSeed = new List<Colour>();
                for (int s = 0; s < seeds; s++)
                {
                    var result = run(caption, new GenerateOptions { Seed = SeedBase + (ulong)s, Guidance = guidance });
                    perSeed.Add(GenerationJudge.MeasuredColour(scene.Objects[0], result.Image));
                    seconds.Add(result.Elapsed.TotalSeconds);
                    nfe = result.Nfe;
                    grid[c].Add(result.Image);
                }
                measured.Add(perSeed);
            }
            double right = Colours.Select((colour, c) => measured[c].Count(m => m == colour)).Sum() / (double)(Colours.Count * seeds);
            rows.Add(new Row(name, right, SeedShare(measured), seeds, nfe, seconds.Average()));
        }
        return (rows, grid.Select(r => (IReadOnlyList<RgbImage>)r).ToList());
    }
}
