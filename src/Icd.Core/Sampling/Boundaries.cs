namespace Icd.Sampling;

/// <summary>One model evaluation of a few-step solver: evaluate at t, jump to s.</summary>
public readonly record struct StepPair(long T, long S);

/// <summary>
/// The segment boundaries of an iCD model pair (METHOD B3). The reverse model decodes along
/// <see cref="Reverse"/> (999 → … → 0) and the forward model encodes along <see cref="Forward"/>
/// (start → … → 999).
/// </summary>
public sealed record Boundaries(IReadOnlyList<StepPair> Reverse, IReadOnlyList<StepPair> Forward)
{
    /// <summary>The 50-step DDIM grid of iCD's teacher solver: ddim_ts[k] = 20k + 19, k = 0..49.</summary>
    public static long[] DdimGrid(int steps = 50, int trainSteps = 1000)
    {
        int ratio = trainSteps / steps;
        return Enumerable.Range(0, steps).Select(k => (long)(ratio * k + ratio - 1)).ToArray();
    }

    /// <summary>
    /// The Generator's rule: reverse t = reversed(L) with s shifted by one and the last s = 0;
    /// forward t = <paramref name="forwardTimesteps"/> with s shifted left and the last s = 999.
    /// E.g. 4steps_1: reverse [259, 519, 779, 999], forward [19, 259, 519, 779].
    /// </summary>
    public static Boundaries FromLists(IReadOnlyList<long> reverseTimesteps, IReadOnlyList<long> forwardTimesteps, long lastTimestep = 999)
    {
        Check(reverseTimesteps, nameof(reverseTimesteps), lastTimestep);
        Check(forwardTimesteps, nameof(forwardTimesteps), lastTimestep);
        var rev = reverseTimesteps.OrderDescending().ToArray();
        var reverse = rev.Select((t, i) => new StepPair(t, i + 1 < rev.Length ? rev[i + 1] : 0)).ToList();
        var fwd = forwardTimesteps.Order().ToArray();
        var forward = fwd.Select((t, i) => new StepPair(t, i + 1 < fwd.Length ? fwd[i + 1] : lastTimestep)).ToList();
        return new Boundaries(reverse, forward);
    }

    /// <summary>Named presets of the released models (METHOD B3 table).</summary>
    public static Boundaries Preset(string name) => name switch
    {
        "4steps_1" => FromLists([259, 519, 779, 999], [19, 259, 519, 779]),
        "4steps_2" => FromLists([249, 499, 699, 999], [19, 249, 499, 699]),
        "3steps" => FromLists([339, 699, 999], [19, 339, 699]),
        _ => throw new ArgumentException($"unknown boundary preset '{name}': expected 4steps_1, 4steps_2 or 3steps", nameof(name)),
    };

    /// <summary>
    /// The automatic m-segment rule: I = 50/m rounded up, idx = I−1, 2I−1, … (&lt; 49); reverse
    /// endpoints [0] + ddim_ts[idx], forward endpoints ddim_ts[idx] + [999]. m = 4 gives
    /// [0, 259, 519, 779] / [259, 519, 779, 999]; the forward model starts at
    /// <paramref name="forwardStart"/> (19 for iCD, 0 for Inverse-and-Edit).
    /// </summary>
    public static Boundaries Automatic(int segments, long forwardStart = 19)
    {
        if (segments is < 1 or > 50) throw new ArgumentOutOfRangeException(nameof(segments), segments, "must be in 1..50");
        var grid = DdimGrid();
        int interval = 50 / segments + (50 % segments > 0 ? 1 : 0);
        var idx = Enumerable.Range(1, 50).Select(k => k * interval - 1).Where(i => i < 49).ToList();
        var endpoints = idx.Select(i => grid[i]).ToList();
        var reverseT = endpoints.Append(999).ToList();                 // t values of the reverse steps
        var forwardT = new List<long> { forwardStart }.Concat(endpoints).ToList();
        return FromLists(reverseT, forwardT);
    }

    /// <summary>Reverse segment endpoints (where the reverse model's jumps land): [0, 259, 519, 779].</summary>
    public long[] ReverseEndpoints => Reverse.Select(p => p.S).Order().ToArray();

    /// <summary>Forward segment endpoints: [259, 519, 779, 999].</summary>
    public long[] ForwardEndpoints => Forward.Select(p => p.S).Order().ToArray();

    public long ForwardStart => Forward[0].T;

    /// <summary>The same model pair with the forward model starting at <paramref name="start"/>
    /// (Inverse-and-Edit encodes from the clean latent, t = 0).</summary>
    public Boundaries WithForwardStart(long start)
    {
        var forward = Forward.ToList();
        forward[0] = forward[0] with { T = start };
        return this with { Forward = forward };
    }

    private static void Check(IReadOnlyList<long> list, string name, long last)
    {
        if (list.Count == 0) throw new ArgumentException("the timestep list is empty", name);
        if (list.Any(t => t < 0 || t > last)) throw new ArgumentException($"timesteps must be in [0, {last}], got [{string.Join(", ", list)}]", name);
        if (list.Distinct().Count() != list.Count) throw new ArgumentException($"timesteps repeat: [{string.Join(", ", list)}]", name);
    }

    public override string ToString() =>
        $"reverse {string.Join(" → ", Reverse.Select(p => p.T).Append(Reverse[^1].S))}, forward {string.Join(" → ", Forward.Select(p => p.T).Append(Forward[^1].S))}";
}
