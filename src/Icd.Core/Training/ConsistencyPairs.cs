namespace Icd.Training;

/// <summary>
/// The timestep bookkeeping of iCD's training targets (METHOD D1), as pure functions of the grid
/// index so they can be checked against hand-computed tables.
/// </summary>
public static class ConsistencyPairs
{
    /// <summary>Reverse CD for grid index n: t = grid[n], t' = max(t − Δ, 0), s = the largest
    /// reverse endpoint ≤ t'. The target is the teacher's point itself when t' == s.</summary>
    public static (long T, long TPrev, long S) Reverse(long[] grid, IReadOnlyList<long> reverseEndpoints, long n)
    {
        long t = grid[n];
        long tPrev = Math.Max(t - (grid[1] - grid[0]), 0);
        long s = reverseEndpoints.Where(e => e <= tPrev).Max();
        return (t, tPrev, s);
    }

    /// <summary>Forward CD for grid index n (0..N−2): t = grid[n], t⁺ = grid[n+1], s = the smallest
    /// forward endpoint ≥ t⁺.</summary>
    public static (long T, long TNext, long S) Forward(long[] grid, IReadOnlyList<long> forwardEndpoints, long n)
    {
        long t = grid[n], tNext = grid[n + 1];
        return (t, tNext, forwardEndpoints.Where(e => e >= tNext).Min());
    }

    /// <summary>Preservation pair j: (F_j, R_j) with R's endpoint 0 replaced by the forward start (19).</summary>
    public static (long F, long R) Preservation(IReadOnlyList<long> forwardEndpoints, IReadOnlyList<long> reverseEndpoints, long forwardStart, int j) =>
        (forwardEndpoints[j], reverseEndpoints[j] == 0 ? forwardStart : reverseEndpoints[j]);

    /// <summary>The preservation segment j for a uniform draw in [0, segments − 1 + <paramref name="firstWeight"/>):
    /// the first segment (j = 0) counts <paramref name="firstWeight"/> times, every other once, so it is
    /// drawn with probability k / (segments − 1 + k). k = 1 is METHOD D1's uniform j.</summary>
    public static int PreservationSegment(long draw, int firstWeight) =>
        draw < firstWeight ? 0 : (int)(draw - firstWeight + 1);

    /// <summary>Where L_r's reverse jump from F_j ends, and whether its target is the clean latent z0
    /// instead of x_{R_j}: R_j and x_{R_j}, except for the first segment when <paramref name="toClean"/>
    /// (<see cref="IcdDistillationOptions.ReversePreservationToClean"/>): t = 0 and z0.</summary>
    public static (long End, bool Clean) ReversePreservationEnd(long r, long forwardStart, bool toClean) =>
        toClean && r == forwardStart ? (0, true) : (r, false);
}
