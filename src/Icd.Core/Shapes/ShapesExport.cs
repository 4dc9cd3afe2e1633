using System.Globalization;
using Icd.Imaging;
using Icd.Training;

namespace Icd.Shapes;

/// <summary>Writes Shapes training scenes as a training folder in the layout <c>icd train</c>
/// reads: numbered PNGs and <c>captions.csv</c> (file_name,caption), so every training stage can
/// be run by hand on small data.</summary>
public static class ShapesExport
{
    public static string Write(string directory, ulong seed, int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "must be ≥ 1");
        Directory.CreateDirectory(directory);
        var source = new ShapesSource(seed, count);
        var lines = new List<string> { "file_name,caption" };
        for (int i = 0; i < count; i++)
        {
            var (image, caption) = source.Get(i);
            string name = i.ToString("D5", CultureInfo.InvariantCulture) + ".png";
            PngEncoder.Write(Path.Combine(directory, name), image);
            lines.Add(name + "," + Csv.Quote(caption));
        }
        string csv = Path.Combine(directory, "captions.csv"), temp = csv + ".tmp";
        File.WriteAllLines(temp, lines);
        File.Move(temp, csv, overwrite: true);
        return csv;
    }
}
