using Icd.Imaging;

namespace Icd.Shapes;

/// <summary>Tiles equally sized images into rows (a white gutter between cells), for report figures.</summary>
public static class ImageGrid
{
    public static RgbImage Compose(IReadOnlyList<IReadOnlyList<RgbImage>> rows, int gutter = 2, int scale = 2)
    {
        if (rows.Count == 0 || rows[0].Count == 0) throw new ArgumentException("no images to tile", nameof(rows));
        int cell = rows[0][0].Width * scale, columns = rows.Max(r => r.Count);
        var grid = RgbImage.Blank(columns * (cell + gutter) + gutter, rows.Count * (cell + gutter) + gutter);
        for (int r = 0; r < rows.Count; r++)
        {
            for (int c = 0; c < rows[r].Count; c++)
            {
                var img = rows[r][c];
                int ox = gutter + c * (cell + gutter), oy = gutter + r * (cell + gutter);
                for (int y = 0; y < cell; y++)
                    for (int x = 0; x < cell; x++)
                        grid[ox + x, oy + y] = img[Math.Min(x / scale, img.Width - 1), Math.Min(y / scale, img.Height - 1)];
            }
        }
        return grid;
    }
}
