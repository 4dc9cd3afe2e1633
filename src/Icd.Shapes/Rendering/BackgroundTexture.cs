namespace Icd.Shapes;

/// <summary>The texture's grey-level offset per pixel, computed in integers only so that images are
/// bit-identical on every machine.</summary>
internal static class BackgroundTexture
{
    // Eight ramp directions (dx, dy); integer steps keep the ramp exact.
    private static readonly (int Dx, int Dy)[] Directions = [(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)];

    /// <summary>Writes the textured background colour into every pixel of <paramref name="pixels"/>.</summary>
    public static void Fill(Span<byte> pixels, int size, Colour background, SceneTexture texture)
    {
        var (r, g, b) = Palette.Rgb(background);
        var (dx, dy) = Directions[(int)(texture.Seed % (ulong)Directions.Length)];
        int amplitude = texture.Amplitude;
        for (int y = 0, i = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++, i += 3)
            {
                int offset = texture.Kind switch
                {
                    // Position along the direction, in (-1, 1) across the image, times the amplitude.
                    TextureKind.Gradient => RoundDiv(amplitude * (dx * (2 * x + 1 - size) + dy * (2 * y + 1 - size)), size * (Math.Abs(dx) + Math.Abs(dy))),
                    TextureKind.Noise => ValueNoise(texture, size, x, y),
                    _ => 0,
                };
                pixels[i] = Clamp(r + offset);
                pixels[i + 1] = Clamp(g + offset);
                pixels[i + 2] = Clamp(b + offset);
            }
        }
    }

    /// <summary>Lattice spacing of the value noise in pixels: twice the VAE's 4× downsampling, so the
    /// grain is smooth at the latent's resolution.</summary>
    private const int Lattice = 8;

    /// <summary>Value noise: offsets uniform in ±amplitude on a lattice every <see cref="Lattice"/> pixels,
    /// bilinearly interpolated (integers only). Why not per-pixel grain: 64² independent values cannot
    /// pass a 16²×4 latent, so no autoencoder reproduces them; such grain put a floor under every
    /// reconstruction and preservation number that says nothing about inversion or editing.</summary>
    private static int ValueNoise(SceneTexture texture, int size, int x, int y)
    {
        int nodes = size / Lattice + 2;
        int Node(int i, int j) => (int)(SplitMix64.Mix(texture.Seed, (ulong)(j * nodes + i)) % (ulong)(2 * texture.Amplitude + 1)) - texture.Amplitude;
        int i0 = x / Lattice, j0 = y / Lattice, fx = x % Lattice, fy = y % Lattice;
        int sum = Node(i0, j0) * (Lattice - fx) * (Lattice - fy) + Node(i0 + 1, j0) * fx * (Lattice - fy)
                + Node(i0, j0 + 1) * (Lattice - fx) * fy + Node(i0 + 1, j0 + 1) * fx * fy;
        return RoundDiv(sum, Lattice * Lattice);
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);

    /// <summary>n / d rounded half away from zero, for d &gt; 0.</summary>
    private static int RoundDiv(int n, int d) => n >= 0 ? (2 * n + d) / (2 * d) : -((-2 * n + d) / (2 * d));
}
