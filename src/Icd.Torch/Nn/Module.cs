using Icd.Torch.Interop;

namespace Icd.Torch.Nn;

/// <summary>
/// Base of every network block. Children, parameters and buffers are registered explicitly under
/// the names of PyTorch's state dict (<c>Child("to_out.0", ...)</c>), so a module's
/// <see cref="NamedParameters"/> are exactly the keys of a diffusers/transformers checkpoint and
/// loading needs no rename table. A module owns its tensors and disposes them.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Module Module)> _children = new();
    private readonly List<(string Name, Tensor Tensor)> _parameters = new();
    private readonly List<(string Name, Tensor Tensor, bool Persistent)> _buffers = new();
    private bool _disposed;

    public bool Training { get; private set; } = true;

    /// <summary>Registers a child module under <paramref name="name"/> (may contain dots, e.g. <c>to_out.0</c>).</summary>
    protected T Child<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    /// <summary>Registers a trainable parameter. The module takes ownership (out of any scope).</summary>
    protected Tensor Parameter(string name, Tensor value)
    {
        CheckName(name);
        value.DetachFromScope();
        value.RequiresGrad = true;
        _parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers a buffer (state that is not trained, e.g. position ids).</summary>
    protected Tensor Buffer(string name, Tensor value, bool persistent = true)
    {
        CheckName(name);
        value.DetachFromScope();
        _buffers.Add((name, value, persistent));
        return value;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("empty module member name", nameof(name));
        if (_children.Any(c => c.Name == name) || _parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name))
            throw new ArgumentException($"'{name}' is registered twice in {GetType().Name}", nameof(name));
    }

    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    /// <summary>This module and every descendant, with dotted paths ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in _children)
        {
            foreach (var m in child.NamedModules(Join(prefix, name))) yield return m;
        }
    }

    /// <summary>Parameters with their state-dict keys, e.g. <c>down_blocks.0.resnets.1.conv1.weight</c>.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in _parameters) yield return (Join(prefix, name), p);
        foreach (var (name, child) in _children)
        {
            foreach (var p in child.NamedParameters(Join(prefix, name))) yield return p;
        }
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "", bool persistentOnly = true)
    {
        foreach (var (name, b, persistent) in _buffers)
        {
            if (persistent || !persistentOnly) yield return (Join(prefix, name), b);
        }
        foreach (var (name, child) in _children)
        {
            foreach (var b in child.NamedBuffers(Join(prefix, name), persistentOnly)) yield return b;
        }
    }

    /// <summary>Parameters and persistent buffers by key: new handles to the same tensors.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in NamedParameters().Concat(NamedBuffers()))
            result[name] = t.Detach().DetachFromScope();
        return result;
    }

    public long ParameterCount() => Parameters().Sum(p => p.NumberOfElements);

    /// <summary>Switches training behaviour (dropout) for this module and its descendants.</summary>
    public Module Train(bool training = true)
    {
        foreach (var (_, m) in NamedModules()) m.Training = training;
        return this;
    }

    public Module Eval() => Train(false);

    /// <summary>Freezes (false) or unfreezes (true) every parameter.</summary>
    public void SetRequiresGrad(bool requiresGrad)
    {
        foreach (var p in Parameters()) p.RequiresGrad = requiresGrad;
    }

    /// <summary>Converts every parameter and buffer in place (identity and registration kept),
    /// as PyTorch's <c>module.to()</c> does with <c>param.data = ...</c>.</summary>
    public Module To(DType dtype) => Convert(t => t.DType.IsFloatingPoint() && t.DType != dtype ? t.To(dtype) : null);

    public Module To(Device device) => Convert(t => t.Device != device ? t.To(device) : null);

    private Module Convert(Func<Tensor, Tensor?> convert)
    {
        using var noGrad = Autograd.NoGrad();
        foreach (var (_, t) in NamedParameters().Concat(NamedBuffers(persistentOnly: false)))
        {
            using var converted = convert(t);
            if (converted is not null) Op.Get("aten::set_data").Run(t, converted);
        }
        return this;
    }

    /// <summary>
    /// Copies weights from <paramref name="source"/> into this module's parameters and buffers,
    /// one tensor at a time (converted to each parameter's dtype). With <paramref name="strict"/>,
    /// every missing, unexpected or wrong-shaped key is collected and reported in one
    /// <see cref="WeightLoadException"/> before anything is copied.
    /// </summary>
    public void LoadStateDict(ITensorSource source, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(source);
        var targets = NamedParameters().Concat(NamedBuffers()).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);
        var available = new HashSet<string>(source.Names, StringComparer.Ordinal);
        var problems = new List<WeightLoadProblem>();
        foreach (var (name, target) in targets)
        {
            if (!available.Contains(name))
            {
                problems.Add(new WeightLoadProblem(name, WeightLoadProblemKind.Missing, target.Shape, null));
                continue;
            }
            var shape = source.ShapeOf(name);
            if (!shape.SequenceEqual(target.Shape))
                problems.Add(new WeightLoadProblem(name, WeightLoadProblemKind.ShapeMismatch, target.Shape, shape));
        }
        foreach (var name in available)
        {
            if (!targets.ContainsKey(name) && !source.IsIgnorable(name))
                problems.Add(new WeightLoadProblem(name, WeightLoadProblemKind.Unexpected, null, source.ShapeOf(name)));
        }
        var blocking = strict ? problems : problems.Where(p => p.Kind == WeightLoadProblemKind.ShapeMismatch).ToList();
        if (blocking.Count > 0) throw new WeightLoadException(source.Description, blocking);

        using var noGrad = Autograd.NoGrad();
        var nonFinite = new List<WeightLoadProblem>();
        foreach (var (name, target) in targets)
        {
            if (!available.Contains(name)) continue;
            using var value = source.Load(name);
            // One pass per tensor while it is in memory anyway: NaN weights would give black images.
            if (value.DType.IsFloatingPoint() && !value.AllFinite())
                nonFinite.Add(new WeightLoadProblem(name, WeightLoadProblemKind.NonFinite, null, value.Shape));
            target.Copy_(value);
        }
        if (nonFinite.Count > 0) throw new WeightLoadException(source.Description, nonFinite);
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, p) in _parameters) p.Dispose();
        foreach (var (_, b, _) in _buffers) b.Dispose();
        foreach (var (_, c) in _children) c.Dispose();
        DisposeExtra();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases state that is not a registered parameter or buffer (e.g. LoRA adapters).</summary>
    protected virtual void DisposeExtra()
    {
    }
}
