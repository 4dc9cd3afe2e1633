namespace Icd.Shapes;

/// <summary>SplitMix64 (Steele, Lea and Flood 2014): a tiny, well-mixed 64-bit generator written out
/// here so that every scene, texture and edit depends only on the seed, never on the runtime's
/// <see cref="Random"/> implementation. Not thread-safe; give each consumer its own.</summary>
public sealed class SplitMix64(ulong seed)
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        _state += Gamma;
        return Finalise(_state);
    }

    /// <summary>A uniform integer in [0, <paramref name="count"/>), without modulo bias (Lemire's
    /// multiply-and-reject).</summary>
    public int NextInt(int count)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), $"count must be positive, got {count}");
        ulong n = (ulong)count;
        ulong threshold = (0UL - n) % n;
        while (true)
        {
            ulong high = Math.BigMul(NextUInt64(), n, out ulong low);
            if (low >= threshold) return (int)high;
        }
    }

    public T Pick<T>(IReadOnlyList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) throw new ArgumentException("cannot pick from an empty list", nameof(items));
        return items[NextInt(items.Count)];
    }

    /// <summary>Hashes values into one seed, so that a (seed, stream, index) triple names a generator
    /// without any shared state: item i is the same whatever order items are asked for.</summary>
    public static ulong Mix(ulong a, ulong b) => Finalise(a ^ Finalise(b + Gamma));

    public static ulong Mix(ulong a, ulong b, ulong c) => Mix(Mix(a, b), c);

    private static ulong Finalise(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
