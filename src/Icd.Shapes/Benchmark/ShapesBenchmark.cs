namespace Icd.Shapes;

/// <summary>The fixed editing benchmark: <c>countPerKind</c> edits of every <see cref="EditKind"/>,
/// interleaved kind by kind (so any prefix of whole rounds is balanced), each on a fresh scene of the
/// chosen split's stream, in stream order. Held-out edits skip every scene whose source or target
/// fingerprint occurs among the first <see cref="TrainingPrefix"/> scenes of the training stream with
/// the same seed, so a model trained on that prefix of <see cref="TrainingSet"/> has never seen a
/// held-out scene, before or after the edit. (With the default settings this rules out most one-object
/// scenes, of which there are only about 11,000, so held-out scenes mostly have two or three
/// objects.)</summary>
public static class ShapesBenchmark
{
    /// <summary>N: how many training-stream scenes held-out scenes are checked against (1,000,000).</summary>
    public const int TrainingPrefix = 1_000_000;

    /// <summary>Upper bound on the countPerKind, to keep the rejection loop finite.</summary>
    public const int MaxCountPerKind = 10_000;

    private static readonly object CacheLock = new();
    private static (ulong Seed, SceneSettings Settings, HashSet<ulong> Fingerprints)? _cache;

    public static IReadOnlyList<Edit> Create(ulong seed, int countPerKind, ShapesSplit split, SceneSettings? settings = null)
    {
        if (countPerKind < 0 || countPerKind > MaxCountPerKind)
            throw new ArgumentOutOfRangeException(nameof(countPerKind), $"countPerKind must be in [0, {MaxCountPerKind}], got {countPerKind}");
        var stream = new SceneStream(seed, split, settings);
        var editor = new EditGenerator(stream.Settings);
        var seen = split == ShapesSplit.HeldOut ? TrainingFingerprints(seed, stream.Settings) : null;
        var edits = new List<Edit>(countPerKind * EditKinds.All.Length);
        long next = 0;
        for (int round = 0; round < countPerKind; round++)
        {
            foreach (var kind in EditKinds.All)
            {
                while (true)
                {
                    long index = next++;
                    var edit = editor.TryCreate(stream.At(index), kind, stream.SeedAt(index));
                    if (edit is null) continue;
                    if (seen is not null && (seen.Contains(edit.Source.Fingerprint) || seen.Contains(edit.Target.Fingerprint))) continue;
                    edits.Add(edit);
                    break;
                }
            }
        }
        return edits;
    }

    /// <summary>The fingerprints of the first <paramref name="count"/> training-stream scenes. The
    /// default-size set for the last (seed, settings) asked for is cached.</summary>
    public static IReadOnlySet<ulong> TrainingFingerprints(ulong seed, SceneSettings? settings = null, int count = TrainingPrefix)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"count must be non-negative, got {count}");
        var stream = new SceneStream(seed, ShapesSplit.Train, settings);
        bool cacheable = count == TrainingPrefix;
        lock (CacheLock)
        {
            if (cacheable && _cache is { } c && c.Seed == seed && c.Settings == stream.Settings) return c.Fingerprints;
        }
        var fingerprints = new HashSet<ulong>(Math.Min(count, 1 << 20));
        for (long i = 0; i < count; i++) fingerprints.Add(stream.At(i).Fingerprint);
        if (cacheable)
            lock (CacheLock) _cache = (seed, stream.Settings, fingerprints);
        return fingerprints;
    }
}
