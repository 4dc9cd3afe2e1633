namespace Icd.Torch;

/// <summary>
/// Disposes every tensor created on this thread while it is the innermost scope, except the
/// ones moved out (<see cref="Tensor.MoveToOuterScope"/>, <see cref="Tensor.DetachFromScope"/>).
/// Forward passes and loop bodies run inside one, so native memory is freed at a known point
/// instead of whenever the GC gets round to finalizers.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic]
    private static TensorScope? _current;

    private readonly List<Tensor> _owned = new();
    private readonly TensorScope? _outer;
    private readonly int _threadId;
    private bool _disposed;

    public TensorScope()
    {
        _outer = _current;
        _threadId = Environment.CurrentManagedThreadId;
        _current = this;
    }

    /// <summary>The innermost scope on this thread, if any.</summary>
    public static TensorScope? Current => _current;

    private int _compactAt = 1024;

    /// <summary>The number of live tensors this scope will dispose.</summary>
    public int Count => _owned.Count(t => t.Scope == this && !t.IsDisposed);

    internal static void Register(Tensor tensor)
    {
        var scope = _current;
        if (scope is null) return;
        tensor.Scope = scope;
        scope.Add(tensor);
    }

    private void Add(Tensor tensor)
    {
        _owned.Add(tensor);
        // A long-lived scope (a training loop's) sees many tensors disposed early by `using`;
        // drop those entries now and then so the list stays proportional to the live ones.
        if (_owned.Count >= _compactAt)
        {
            _owned.RemoveAll(t => t.Scope != this || t.IsDisposed);
            _compactAt = Math.Max(1024, 2 * _owned.Count);
        }
    }

    internal void MoveToOuter(Tensor tensor)
    {
        tensor.Scope = _outer;
        _outer?.Add(tensor);
    }

    public void Dispose()
    {
        if (_disposed) return;
        if (Environment.CurrentManagedThreadId != _threadId)
            throw new InvalidOperationException("a TensorScope must be disposed on the thread that created it");
        if (_current != this)
            throw new InvalidOperationException("TensorScopes must be disposed innermost first");
        _disposed = true;
        _current = _outer;
        foreach (var tensor in _owned)
        {
            if (tensor.Scope == this) tensor.Dispose();
        }
        _owned.Clear();
    }
}
