namespace Icd.Shapes;

/// <summary>Which half of the world a scene comes from. Training and held-out scenes are drawn from
/// independent seed streams; <see cref="ShapesBenchmark"/> additionally rejects held-out scenes whose
/// fingerprint occurs early in the training stream.</summary>
public enum ShapesSplit
{
    Train,
    HeldOut,
}

/// <summary>An endless, random-access sequence of scenes: scene i is generated from
/// Mix(Mix(seed, split tag), i), so it does not depend on which other scenes were asked for.</summary>
public sealed class SceneStream
{
    // Arbitrary distinct constants ("train", "heldout" in ASCII) so the two splits never share seeds.
    private const ulong TrainTag = 0x747261696EUL;
    private const ulong HeldOutTag = 0x68656C646F7574UL;

    private readonly ulong _streamSeed;

    public SceneStream(ulong seed, ShapesSplit split, SceneSettings? settings = null)
    {
        if (!Enum.IsDefined(split)) throw new ArgumentOutOfRangeException(nameof(split), $"{(int)split} is not a split");
        Seed = seed;
        Split = split;
        Generator = new SceneGenerator(settings);
        _streamSeed = SplitMix64.Mix(seed, split == ShapesSplit.Train ? TrainTag : HeldOutTag);
    }

    public ulong Seed { get; }

    public ShapesSplit Split { get; }

    public SceneGenerator Generator { get; }

    public SceneSettings Settings => Generator.Settings;

    public Scene At(long index)
    {
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), $"scene index must be non-negative, got {index}");
        return Generator.Generate(SeedAt(index));
    }

    /// <summary>The seed scene <paramref name="index"/> is generated from; edits on it derive their own
    /// randomness from it too.</summary>
    public ulong SeedAt(long index) => SplitMix64.Mix(_streamSeed, (ulong)index);
}
