using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Lora;

/// <summary>Attaching, switching, fusing and training LoRA adapters on a model's layers. Several
/// adapters (iCD's forward and reverse students) share one copy of the base weights; the active
/// one is applied in Forward.</summary>
public static class UNetLora
{
    /// <summary>Attaches the adapters of <paramref name="weights"/> under <paramref name="name"/>
    /// (ownership moves to the layers).</summary>
    public static void Attach(Module model, string name, LoraWeights weights)
    {
        var layers = model.NamedModules().Where(m => m.Module is ILoraLayer).ToDictionary(m => m.Name, m => (ILoraLayer)m.Module, StringComparer.Ordinal);
        foreach (var (path, adapter) in weights.Adapters)
            layers[path].AddAdapter(name, adapter);
        weights.Adapters.Clear();
    }

    /// <summary>Reads a LoRA file (PEFT or kohya) and attaches it under <paramref name="name"/>.</summary>
    public static void AttachFile(Module model, string name, string path, double peftAlpha = LoraFile.IcdAlpha)
    {
        using var weights = LoraFile.Read(path, model, peftAlpha);
        Attach(model, name, weights);
    }

    /// <summary>New trainable adapters on the target layers: A drawn as PyTorch's kaiming-uniform
    /// (a = √5) default, B = 0 so the adapted model starts equal to the base (PEFT's init).</summary>
    public static void CreateTrainable(Module model, string name, IEnumerable<string> targets, long rank, double alpha)
    {
        foreach (var (_, layer) in LoraTargets.Find(model, targets))
        {
            var (shapeA, shapeB) = layer.LoraShapes(rank);
            long fanIn = shapeA.Skip(1).Aggregate(1L, (x, y) => x * y);
            var a = Init.FanIn(shapeA, fanIn).To(layer.Weight.DType).RequiresGrad_();
            var b = Tensor.Zeros(shapeB, layer.Weight.DType).RequiresGrad_();
            layer.AddAdapter(name, new LoraAdapter(a, b, alpha / rank));
        }
    }

    /// <summary>Makes <paramref name="name"/> the applied adapter on every layer that has it
    /// (null: none, the base model).</summary>
    public static void Activate(Module model, string? name)
    {
        foreach (var (_, m) in model.NamedModules())
        {
            if (m is ILoraLayer layer) layer.ActiveAdapter = name is not null && layer.Adapters.ContainsKey(name) ? name : null;
        }
    }

    /// <summary>Fuses adapter <paramref name="name"/> into the weights (W += scale·B·A). The
    /// originals are kept so that <see cref="Unfuse"/> restores them exactly.</summary>
    public static void Fuse(Module model, string name)
    {
        foreach (var layer in Layers(model).Where(l => l.Adapters.ContainsKey(name))) layer.Fuse(name);
    }

    public static void Unfuse(Module model)
    {
        foreach (var layer in Layers(model)) layer.Unfuse();
    }

    /// <summary>The adapters named <paramref name="name"/>, by module path.</summary>
    public static Dictionary<string, LoraAdapter> Adapters(Module model, string name) =>
        model.NamedModules().Where(m => m.Module is ILoraLayer l && l.Adapters.ContainsKey(name))
            .ToDictionary(m => m.Name, m => ((ILoraLayer)m.Module).Adapters[name], StringComparer.Ordinal);

    /// <summary>The A and B tensors of adapter <paramref name="name"/> (for an optimizer).</summary>
    public static IEnumerable<Tensor> Parameters(Module model, string name) =>
        Adapters(model, name).Values.SelectMany(a => new[] { a.A, a.B });

    private static IEnumerable<ILoraLayer> Layers(Module model) => model.NamedModules().Select(m => m.Module).OfType<ILoraLayer>();
}
