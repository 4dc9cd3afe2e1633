using Icd.Torch.Interop;

namespace Icd.Torch;

// Elementwise arithmetic, activations and comparisons.
public sealed partial class Tensor
{
    public Tensor Add(Tensor other, double alpha = 1) => Op.Get("aten::add", "Tensor").Call(this, other, alpha);
    public Tensor Add(double other) => Op.Get("aten::add", "Scalar").Call(this, other, 1);
    public Tensor Sub(Tensor other, double alpha = 1) => Op.Get("aten::sub", "Tensor").Call(this, other, alpha);
    public Tensor Sub(double other) => Op.Get("aten::sub", "Scalar").Call(this, other, 1);
    public Tensor Mul(Tensor other) => Op.Get("aten::mul", "Tensor").Call(this, other);
    public Tensor Mul(double other) => Op.Get("aten::mul", "Scalar").Call(this, other);
    public Tensor Div(Tensor other) => Op.Get("aten::div", "Tensor").Call(this, other);
    public Tensor Div(double other) => Op.Get("aten::div", "Scalar").Call(this, other);
    public Tensor Neg() => Op.Get("aten::neg").Call(this);

    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator +(Tensor a, double b) => a.Add(b);
    public static Tensor operator +(double a, Tensor b) => b.Add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator -(Tensor a, double b) => a.Sub(b);
    public static Tensor operator -(double a, Tensor b) => Op.Get("aten::rsub", "Scalar").Call(b, a, 1);
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator *(Tensor a, double b) => a.Mul(b);
    public static Tensor operator *(double a, Tensor b) => b.Mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator /(Tensor a, double b) => a.Div(b);
    public static Tensor operator -(Tensor a) => a.Neg();

    public Tensor Exp() => Op.Get("aten::exp").Call(this);
    public Tensor Log() => Op.Get("aten::log").Call(this);
    public Tensor Sqrt() => Op.Get("aten::sqrt").Call(this);
    public Tensor Rsqrt() => Op.Get("aten::rsqrt").Call(this);
    public Tensor Sin() => Op.Get("aten::sin").Call(this);
    public Tensor Cos() => Op.Get("aten::cos").Call(this);
    public Tensor Abs() => Op.Get("aten::abs").Call(this);
    public Tensor Square() => Op.Get("aten::square").Call(this);
    public Tensor Reciprocal() => Op.Get("aten::reciprocal").Call(this);
    public Tensor Erf() => Op.Get("aten::erf").Call(this);
    public Tensor Round() => Op.Get("aten::round").Call(this);
    public Tensor Floor() => Op.Get("aten::floor").Call(this);
    public Tensor Sign() => Op.Get("aten::sign").Call(this);
    public Tensor Pow(double exponent) => Op.Get("aten::pow", "Tensor_Scalar").Call(this, exponent);
    public Tensor Pow(Tensor exponent) => Op.Get("aten::pow", "Tensor_Tensor").Call(this, exponent);

    /// <summary>Clamps to [min, max]; a null bound is open.</summary>
    public Tensor Clamp(double? min = null, double? max = null) =>
        Op.Get("aten::clamp").Call(this, Arg.Optional(min), Arg.Optional(max));

    public Tensor Lerp(Tensor end, double weight) => Op.Get("aten::lerp", "Scalar").Call(this, end, weight);

    // ---- Activations -----------------------------------------------------------------------
    public Tensor Sigmoid() => Op.Get("aten::sigmoid").Call(this);
    public Tensor Tanh() => Op.Get("aten::tanh").Call(this);
    public Tensor Relu() => Op.Get("aten::relu").Call(this);
    public Tensor Silu() => Op.Get("aten::silu").Call(this);

    /// <summary>GELU, exact (erf) or with the tanh approximation.</summary>
    public Tensor Gelu(bool tanhApproximation = false) =>
        Op.Get("aten::gelu").Call(this, tanhApproximation ? "tanh" : "none");

    /// <summary>CLIP's quick_gelu: x·sigmoid(1.702·x).</summary>
    public Tensor QuickGelu()
    {
        using var scaled = Mul(1.702);
        using var gate = scaled.Sigmoid();
        return Mul(gate);
    }

    public Tensor Softmax(long dim) => Op.Get("aten::softmax", "int").Call(this, dim, Arg.None);
    public Tensor LogSoftmax(long dim) => Op.Get("aten::log_softmax", "int").Call(this, dim, Arg.None);

    // ---- Comparisons and logic (results are bool tensors) ----------------------------------
    public Tensor Eq(double other) => Op.Get("aten::eq", "Scalar").Call(this, other);
    public Tensor Eq(Tensor other) => Op.Get("aten::eq", "Tensor").Call(this, other);
    public Tensor Ne(double other) => Op.Get("aten::ne", "Scalar").Call(this, other);
    public Tensor Gt(double other) => Op.Get("aten::gt", "Scalar").Call(this, other);
    public Tensor Gt(Tensor other) => Op.Get("aten::gt", "Tensor").Call(this, other);
    public Tensor Ge(double other) => Op.Get("aten::ge", "Scalar").Call(this, other);
    public Tensor Lt(double other) => Op.Get("aten::lt", "Scalar").Call(this, other);
    public Tensor Lt(Tensor other) => Op.Get("aten::lt", "Tensor").Call(this, other);
    public Tensor Le(double other) => Op.Get("aten::le", "Scalar").Call(this, other);
    public Tensor LogicalAnd(Tensor other) => Op.Get("aten::logical_and").Call(this, other);
    public Tensor LogicalOr(Tensor other) => Op.Get("aten::logical_or").Call(this, other);
    public Tensor LogicalNot() => Op.Get("aten::logical_not").Call(this);
    public Tensor IsNan() => Op.Get("aten::isnan").Call(this);
    public Tensor IsFinite() => Op.Get("aten::isfinite").Call(this);

    /// <summary>Replaces elements where <paramref name="mask"/> is true by <paramref name="value"/>.</summary>
    public Tensor MaskedFill(Tensor mask, double value) => Op.Get("aten::masked_fill", "Scalar").Call(this, mask, value);

    // ---- Matrix products -------------------------------------------------------------------
    public Tensor Matmul(Tensor other) => Op.Get("aten::matmul").Call(this, other);
    public Tensor Mm(Tensor other) => Op.Get("aten::mm").Call(this, other);
    public Tensor Bmm(Tensor other) => Op.Get("aten::bmm").Call(this, other);

    /// <summary>beta·this + alpha·(batch1 @ batch2), batched.</summary>
    public Tensor Baddbmm(Tensor batch1, Tensor batch2, double beta = 1, double alpha = 1) =>
        Op.Get("aten::baddbmm").Call(this, batch1, batch2, beta, alpha);

    // ---- In place (used by optimizers and weight loading, under no-grad) ---------------------
    public Tensor Add_(Tensor other, double alpha = 1) { Op.Get("aten::add_", "Tensor").Run(this, other, alpha); return this; }
    public Tensor Add_(double other) { Op.Get("aten::add_", "Scalar").Run(this, other, 1); return this; }
    public Tensor Sub_(Tensor other, double alpha = 1) { Op.Get("aten::sub_", "Tensor").Run(this, other, alpha); return this; }
    public Tensor Mul_(double other) { Op.Get("aten::mul_", "Scalar").Run(this, other); return this; }
    public Tensor Mul_(Tensor other) { Op.Get("aten::mul_", "Tensor").Run(this, other); return this; }
    public Tensor Div_(double other) { Op.Get("aten::div_", "Scalar").Run(this, other); return this; }
    public Tensor Addcmul_(Tensor t1, Tensor t2, double value = 1) { Op.Get("aten::addcmul_").Run(this, t1, t2, value); return this; }
    public Tensor Addcdiv_(Tensor t1, Tensor t2, double value = 1) { Op.Get("aten::addcdiv_").Run(this, t1, t2, value); return this; }
    public Tensor Lerp_(Tensor end, double weight) { Op.Get("aten::lerp_", "Scalar").Run(this, end, weight); return this; }
    public Tensor Clamp_(double? min = null, double? max = null) { Op.Get("aten::clamp_").Run(this, Arg.Optional(min), Arg.Optional(max)); return this; }
    public Tensor Zero_() { Op.Get("aten::zero_").Run(this); return this; }
    public Tensor Fill_(double value) { Op.Get("aten::fill_", "Scalar").Run(this, value); return this; }
    public Tensor Copy_(Tensor source) { Op.Get("aten::copy_").Run(this, source, false); return this; }

    /// <summary>Fills with N(mean, std²) samples from <paramref name="generator"/>.</summary>
    public Tensor Normal_(double mean, double std, Generator? generator) { Op.Get("aten::normal_").Run(this, mean, std, generator); return this; }

    /// <summary>Fills with U(from, to) samples from <paramref name="generator"/>.</summary>
    public Tensor Uniform_(double from, double to, Generator? generator) { Op.Get("aten::uniform_").Run(this, from, to, generator); return this; }
}
