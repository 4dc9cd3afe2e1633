namespace Icd.Torch.Optim;

public static class GradClip
{
    /// <summary>torch.nn.utils.clip_grad_norm_: scales all gradients so that their joint L2 norm
    /// is at most <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        using var scope = new TensorScope();
        var grads = parameters.Select(p => p.Grad).Where(g => g is not null).Select(g => g!).ToArray();
        if (grads.Length == 0) return 0;
        using var noGrad = Autograd.NoGrad();
        var norms = grads.Select(g => g.Norm(2)).ToArray();
        double total = Tensor.Stack(norms).Norm(2).Item();
        double coefficient = maxNorm / (total + 1e-6);
        if (coefficient < 1)
        {
            foreach (var g in grads) g.Mul_(coefficient);
        }
        return total;
    }
}
