namespace Icd.Metrics;

/// <summary>Progress of a batched metric: <paramref name="Done"/> of <paramref name="Total"/> items.</summary>
public sealed record MetricProgress(string Metric, int Done, int Total);
