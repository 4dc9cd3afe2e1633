using System.Text.Json;
using Icd.Torch.Interop;

namespace Icd.Torch;

/// <summary>One op's share of a profile: calls, wall time including the ops it calls, and its own (self) time.</summary>
public sealed record OpTotal(string Name, int Calls, double Milliseconds, double SelfMilliseconds);

/// <summary>
/// libtorch's op profiler over a stretch of work: every aten op the calling thread runs (autograd's
/// backward ops included, which on CPU run on the thread that calls backward) is recorded, and the
/// Chrome trace (chrome://tracing, Perfetto) is written when the recording is disposed. It answers
/// where a training step's time goes, which timing whole steps cannot.
/// </summary>
public sealed class OpProfile : IDisposable
{
    private readonly string _path, _partial;
    private IntPtr _recording;

    private OpProfile(string path)
    {
        _path = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(_path);
        if (dir is not null) Directory.CreateDirectory(dir);
        // libtorch writes the trace itself: into a temporary file that becomes the trace only once complete.
        _partial = _path + ".partial";
        Native.Check(Native.ProfileBegin(_partial, out _recording), () => $"profile: cannot start recording to {path}");
    }

    /// <summary>Starts recording the calling thread's ops; disposing writes the trace to <paramref name="path"/>.</summary>
    public static OpProfile Record(string path) => new(path);

    public void Dispose()
    {
        if (_recording == IntPtr.Zero) return;
        var recording = _recording;
        _recording = IntPtr.Zero;
        Native.Check(Native.ProfileEnd(recording), () => $"profile: cannot write {_path}");
        if (!File.Exists(_partial) || new FileInfo(_partial).Length == 0)
            throw new IOException($"profile: libtorch wrote no trace to {_partial}");
        File.Move(_partial, _path, overwrite: true);
    }

    /// <summary>Totals per op name of a trace written by <see cref="Record"/>, most self time first. An op's
    /// self time leaves out the ops it calls (conv2d → convolution → mkldnn_convolution), so that self
    /// times add up to the recorded span rather than counting nested work several times.</summary>
    public static IReadOnlyList<OpTotal> Summarize(string tracePath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(tracePath));
        var root = doc.RootElement;
        var events = new List<(string Name, long Thread, double Start, double Duration)>();
        foreach (var e in (root.ValueKind == JsonValueKind.Array ? root : root.GetProperty("traceEvents")).EnumerateArray())
        {
            // Complete events ("X") carry a start and a duration in microseconds; anything else is metadata.
            if (!e.TryGetProperty("ph", out var ph) || ph.GetString() != "X" || !e.TryGetProperty("dur", out var dur)) continue;
            long thread = e.TryGetProperty("tid", out var tid) && tid.ValueKind == JsonValueKind.Number ? tid.GetInt64() : 0;
            events.Add((e.GetProperty("name").GetString() ?? "?", thread, e.GetProperty("ts").GetDouble(), dur.GetDouble()));
        }
        // Outer events first at equal starts, so that a stack of open events gives each event its parent.
        events.Sort((a, b) => a.Thread != b.Thread ? a.Thread.CompareTo(b.Thread) : a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.Duration.CompareTo(a.Duration));
        var totals = new Dictionary<string, (int Calls, double Total, double Self)>();
        var open = new Stack<(string Name, long Thread, double End)>();
        foreach (var (name, thread, start, duration) in events)
        {
            while (open.Count > 0 && (open.Peek().Thread != thread || open.Peek().End <= start)) open.Pop();
            if (open.Count > 0)
            {
                var parent = totals[open.Peek().Name];
                totals[open.Peek().Name] = parent with { Self = parent.Self - duration };
            }
            var (calls, total, self) = totals.GetValueOrDefault(name);
            totals[name] = (calls + 1, total + duration, self + duration);
            open.Push((name, thread, start + duration));
        }
        return totals.Select(kv => new OpTotal(kv.Key, kv.Value.Calls, kv.Value.Total / 1000, kv.Value.Self / 1000))
            .OrderByDescending(o => o.SelfMilliseconds).ToList();
    }
}
