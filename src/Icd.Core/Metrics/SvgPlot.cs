using System.Globalization;
using System.Text;

namespace Icd.Metrics;

/// <summary>A small SVG line plot (several named series, optional log-scale y), written atomically.</summary>
public static class SvgPlot
{
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    public static void Write(string path, string title, string xLabel, IReadOnlyDictionary<string, List<(double X, double Y)>> series, bool logY = false)
    {
        const int W = 720, H = 420, L = 70, R = 150, T = 40, B = 50;
        var usable = series.Where(s => s.Value.Count > 0).ToList();
        double F(double y) => logY ? Math.Log10(Math.Max(y, 1e-12)) : y;
        var xs = usable.SelectMany(s => s.Value.Select(p => p.X)).DefaultIfEmpty(0).ToList();
        var ys = usable.SelectMany(s => s.Value.Select(p => F(p.Y))).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        double x0 = xs.Min(), x1 = Math.Max(xs.Max(), x0 + 1e-9), y0 = ys.Min(), y1 = Math.Max(ys.Max(), y0 + 1e-9);
        string Px(double x) => (L + (x - x0) / (x1 - x0) * (W - L - R)).ToString("F1", CultureInfo.InvariantCulture);
        string Py(double y) => (H - B - (F(y) - y0) / (y1 - y0) * (H - T - B)).ToString("F1", CultureInfo.InvariantCulture);
        var svg = new StringBuilder();
        svg.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine($"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>");
        svg.AppendLine($"<text x=\"{W / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>");
        svg.AppendLine($"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"black\"/>");
        for (int k = 0; k <= 4; k++)
        {
            double fy = y0 + (y1 - y0) * k / 4, fx = x0 + (x1 - x0) * k / 4;
            double yv = logY ? Math.Pow(10, fy) : fy;
            string py = (H - B - (fy - y0) / (y1 - y0) * (H - T - B)).ToString("F1", CultureInfo.InvariantCulture);
            svg.AppendLine($"<text x=\"{L - 6}\" y=\"{py}\" text-anchor=\"end\">{yv.ToString("G3", CultureInfo.InvariantCulture)}</text>");
            svg.AppendLine($"<text x=\"{Px(fx)}\" y=\"{H - B + 18}\" text-anchor=\"middle\">{fx.ToString("G4", CultureInfo.InvariantCulture)}</text>");
        }
        svg.AppendLine($"<text x=\"{(L + W - R) / 2}\" y=\"{H - 12}\" text-anchor=\"middle\">{Escape(xLabel)}{(logY ? " (log y)" : "")}</text>");
        for (int i = 0; i < usable.Count; i++)
        {
            var (name, points) = usable[i];
            string color = Colors[i % Colors.Length];
            svg.AppendLine($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{string.Join(" ", points.Where(p => double.IsFinite(F(p.Y))).Select(p => $"{Px(p.X)},{Py(p.Y)}"))}\"/>");
            svg.AppendLine($"<text x=\"{W - R + 10}\" y=\"{T + 16 * i + 10}\" fill=\"{color}\">{Escape(name)}</text>");
        }
        svg.AppendLine("</svg>");
        string temp = path + ".tmp";
        File.WriteAllText(temp, svg.ToString());
        File.Move(temp, path, overwrite: true);
    }

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
