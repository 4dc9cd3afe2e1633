using Icd.Text;
using Icd.Torch;
using Icd.Torch.Nn;

namespace Icd.Metrics.Fid;

/// <summary>
/// pytorch-fid's InceptionV3 with the FID weights (<c>pt_inception-2015-12-05-6726825d.pth</c>, the
/// TensorFlow FID network): torchvision's Inception3 layout with the FID variants of blocks A, C and
/// E (average pools that do not count padding; the last block max-pools), 1008 classes. FID reads the
/// 2048-d average-pooled output of the last block.
/// </summary>
public sealed class FidInceptionV3 : Module
{
    private readonly BasicConv2d _conv1a, _conv2a, _conv2b, _conv3b, _conv4a;
    private readonly InceptionA _mixed5b, _mixed5c, _mixed5d;
    private readonly InceptionB _mixed6a;
    private readonly InceptionC _mixed6b, _mixed6c, _mixed6d, _mixed6e;
    private readonly InceptionD _mixed7a;
    private readonly InceptionE _mixed7b, _mixed7c;

    public FidInceptionV3()
    {
        _conv1a = Child("Conv2d_1a_3x3", new BasicConv2d(3, 32, (3, 3), stride: 2));
        _conv2a = Child("Conv2d_2a_3x3", new BasicConv2d(32, 32, (3, 3)));
        _conv2b = Child("Conv2d_2b_3x3", new BasicConv2d(32, 64, (3, 3), padding: (1, 1)));
        _conv3b = Child("Conv2d_3b_1x1", new BasicConv2d(64, 80, (1, 1)));
        _conv4a = Child("Conv2d_4a_3x3", new BasicConv2d(80, 192, (3, 3)));
        _mixed5b = Child("Mixed_5b", new InceptionA(192, 32));
        _mixed5c = Child("Mixed_5c", new InceptionA(256, 64));
        _mixed5d = Child("Mixed_5d", new InceptionA(288, 64));
        _mixed6a = Child("Mixed_6a", new InceptionB(288));
        _mixed6b = Child("Mixed_6b", new InceptionC(768, 128));
        _mixed6c = Child("Mixed_6c", new InceptionC(768, 160));
        _mixed6d = Child("Mixed_6d", new InceptionC(768, 160));
        _mixed6e = Child("Mixed_6e", new InceptionC(768, 192));
        _mixed7a = Child("Mixed_7a", new InceptionD(768));
        _mixed7b = Child("Mixed_7b", new InceptionE(1280, maxPool: false));
        _mixed7c = Child("Mixed_7c", new InceptionE(2048, maxPool: true));
        Child("fc", new Linear(2048, 1008));   // in the released file; FID does not use the classifier
    }

    public const int Dims = 2048;

    /// <summary>Loads pytorch-fid's weights (the .pth as released, or converted to safetensors).</summary>
    public static FidInceptionV3 Load(string weightsPath)
    {
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"FID needs pytorch-fid's Inception weights: {weightsPath} is missing (pt_inception-2015-12-05-6726825d.pth; `icd pull metrics` fetches it)", weightsPath);
        var model = new FidInceptionV3();
        try
        {
            HfModelFolder.LoadWeights(model, weightsPath, n => n.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? null : n);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>pytorch-fid's <c>--dims</c> choices: the block whose spatially averaged output is the feature.</summary>
    public static readonly int[] SupportedDims = [64, 192, 768, 2048];

    /// <summary>Images (B, 3, H, W) in [0, 1] → features (B, dims), as pytorch-fid computes them:
    /// bilinear resize to 299² (align_corners false), 2x − 1, the network up to the block of that
    /// width (64: first max-pool, 192: second, 768: Mixed_6e, 2048: the final average pool), averaged over space.</summary>
    public Tensor Features(Tensor images, int dims = Dims)
    {
        using var scope = new TensorScope();
        if (images.Dim != 4 || images.Size(1) != 3)
            throw new ArgumentException($"FID Inception takes (B, 3, H, W) images in [0, 1], got [{string.Join(", ", images.Shape)}]", nameof(images));
        if (!SupportedDims.Contains(dims))
            throw new ArgumentOutOfRangeException(nameof(dims), $"--dims {dims}: pytorch-fid's Inception offers {string.Join(", ", SupportedDims)}");
        var x = images.To(DType.Float32);
        if (x.Size(2) != 299 || x.Size(3) != 299)
            x = Functional.Interpolate(x, 299, 299, InterpolationMode.Bilinear);
        x = x * 2.0 - 1.0;
        x = Functional.MaxPool2d(_conv2b.Forward(_conv2a.Forward(_conv1a.Forward(x))), 3, 2);
        if (dims == 64) return x.Mean([2, 3]).MoveToOuterScope();
        x = Functional.MaxPool2d(_conv4a.Forward(_conv3b.Forward(x)), 3, 2);
        if (dims == 192) return x.Mean([2, 3]).MoveToOuterScope();
        x = _mixed6a.Forward(_mixed5d.Forward(_mixed5c.Forward(_mixed5b.Forward(x))));
        x = _mixed6e.Forward(_mixed6d.Forward(_mixed6c.Forward(_mixed6b.Forward(x))));
        if (dims == 768) return x.Mean([2, 3]).MoveToOuterScope();
        x = _mixed7c.Forward(_mixed7b.Forward(_mixed7a.Forward(x)));
        return x.Mean([2, 3]).MoveToOuterScope();
    }
}

/// <summary>torchvision's BasicConv2d: convolution without bias, BatchNorm (eps 0.001, running
/// statistics), ReLU.</summary>
internal sealed class BasicConv2d : Module
{
    private readonly Tensor _weight, _bnWeight, _bnBias, _mean, _var;
    private readonly (long, long) _stride, _padding;

    public BasicConv2d(long input, long output, (long H, long W) kernel, long stride = 1, (long H, long W) padding = default)
    {
        _stride = (stride, stride);
        _padding = padding;
        _weight = Child("conv", new Container()).AddParameter("weight", Tensor.Zeros([output, input, kernel.H, kernel.W]));
        var bn = Child("bn", new BatchNormState(output));
        (_bnWeight, _bnBias, _mean, _var) = (bn.Weight, bn.Bias, bn.RunningMean, bn.RunningVar);
    }

    public Tensor Forward(Tensor x)
    {
        var y = Functional.Conv2d(x, _weight, null, _stride, _padding);
        var scale = _bnWeight / (_var + 1e-3).Sqrt();
        var shift = _bnBias - _mean * scale;
        return (y * scale.View(1, -1, 1, 1) + shift.View(1, -1, 1, 1)).Relu();
    }
}

/// <summary>BatchNorm2d's state under its state-dict names (inference only).</summary>
internal sealed class BatchNormState : Module
{
    public BatchNormState(long channels)
    {
        Weight = Parameter("weight", Tensor.Ones([channels]));
        Bias = Parameter("bias", Tensor.Zeros([channels]));
        RunningMean = Buffer("running_mean", Tensor.Zeros([channels]));
        RunningVar = Buffer("running_var", Tensor.Ones([channels]));
    }

    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }
}

/// <summary>FIDInceptionA: 1×1 | 1×1→5×5 | 1×1→3×3→3×3 | avg-pool (padding not counted)→1×1.</summary>
internal sealed class InceptionA : Module
{
    private readonly BasicConv2d _b1, _b5a, _b5b, _b3a, _b3b, _b3c, _pool;

    public InceptionA(long input, long poolFeatures)
    {
        _b1 = Child("branch1x1", new BasicConv2d(input, 64, (1, 1)));
        _b5a = Child("branch5x5_1", new BasicConv2d(input, 48, (1, 1)));
        _b5b = Child("branch5x5_2", new BasicConv2d(48, 64, (5, 5), padding: (2, 2)));
        _b3a = Child("branch3x3dbl_1", new BasicConv2d(input, 64, (1, 1)));
        _b3b = Child("branch3x3dbl_2", new BasicConv2d(64, 96, (3, 3), padding: (1, 1)));
        _b3c = Child("branch3x3dbl_3", new BasicConv2d(96, 96, (3, 3), padding: (1, 1)));
        _pool = Child("branch_pool", new BasicConv2d(input, poolFeatures, (1, 1)));
    }

    public Tensor Forward(Tensor x) => Tensor.Cat([
        _b1.Forward(x),
        _b5b.Forward(_b5a.Forward(x)),
        _b3c.Forward(_b3b.Forward(_b3a.Forward(x))),
        _pool.Forward(Functional.AvgPool2d(x, 3, 1, 1, countIncludePad: false)),
    ], 1);
}

/// <summary>InceptionB (torchvision's, unchanged in FID): the 35→17 grid reduction.</summary>
internal sealed class InceptionB : Module
{
    private readonly BasicConv2d _b3, _d1, _d2, _d3;

    public InceptionB(long input)
    {
        _b3 = Child("branch3x3", new BasicConv2d(input, 384, (3, 3), stride: 2));
        _d1 = Child("branch3x3dbl_1", new BasicConv2d(input, 64, (1, 1)));
        _d2 = Child("branch3x3dbl_2", new BasicConv2d(64, 96, (3, 3), padding: (1, 1)));
        _d3 = Child("branch3x3dbl_3", new BasicConv2d(96, 96, (3, 3), stride: 2));
    }

    public Tensor Forward(Tensor x) => Tensor.Cat([
        _b3.Forward(x), _d3.Forward(_d2.Forward(_d1.Forward(x))), Functional.MaxPool2d(x, 3, 2)], 1);
}

/// <summary>FIDInceptionC: factorised 7×7 branches; its average pool does not count padding.</summary>
internal sealed class InceptionC : Module
{
    private readonly BasicConv2d _b1, _s1, _s2, _s3, _d1, _d2, _d3, _d4, _d5, _pool;

    public InceptionC(long input, long c7)
    {
        _b1 = Child("branch1x1", new BasicConv2d(input, 192, (1, 1)));
        _s1 = Child("branch7x7_1", new BasicConv2d(input, c7, (1, 1)));
        _s2 = Child("branch7x7_2", new BasicConv2d(c7, c7, (1, 7), padding: (0, 3)));
        _s3 = Child("branch7x7_3", new BasicConv2d(c7, 192, (7, 1), padding: (3, 0)));
        _d1 = Child("branch7x7dbl_1", new BasicConv2d(input, c7, (1, 1)));
        _d2 = Child("branch7x7dbl_2", new BasicConv2d(c7, c7, (7, 1), padding: (3, 0)));
        _d3 = Child("branch7x7dbl_3", new BasicConv2d(c7, c7, (1, 7), padding: (0, 3)));
        _d4 = Child("branch7x7dbl_4", new BasicConv2d(c7, c7, (7, 1), padding: (3, 0)));
        _d5 = Child("branch7x7dbl_5", new BasicConv2d(c7, 192, (1, 7), padding: (0, 3)));
        _pool = Child("branch_pool", new BasicConv2d(input, 192, (1, 1)));
    }

    public Tensor Forward(Tensor x) => Tensor.Cat([
        _b1.Forward(x),
        _s3.Forward(_s2.Forward(_s1.Forward(x))),
        _d5.Forward(_d4.Forward(_d3.Forward(_d2.Forward(_d1.Forward(x))))),
        _pool.Forward(Functional.AvgPool2d(x, 3, 1, 1, countIncludePad: false)),
    ], 1);
}

/// <summary>InceptionD (torchvision's, unchanged in FID): the 17→8 grid reduction.</summary>
internal sealed class InceptionD : Module
{
    private readonly BasicConv2d _a1, _a2, _b1, _b2, _b3, _b4;

    public InceptionD(long input)
    {
        _a1 = Child("branch3x3_1", new BasicConv2d(input, 192, (1, 1)));
        _a2 = Child("branch3x3_2", new BasicConv2d(192, 320, (3, 3), stride: 2));
        _b1 = Child("branch7x7x3_1", new BasicConv2d(input, 192, (1, 1)));
        _b2 = Child("branch7x7x3_2", new BasicConv2d(192, 192, (1, 7), padding: (0, 3)));
        _b3 = Child("branch7x7x3_3", new BasicConv2d(192, 192, (7, 1), padding: (3, 0)));
        _b4 = Child("branch7x7x3_4", new BasicConv2d(192, 192, (3, 3), stride: 2));
    }

    public Tensor Forward(Tensor x) => Tensor.Cat([
        _a2.Forward(_a1.Forward(x)), _b4.Forward(_b3.Forward(_b2.Forward(_b1.Forward(x)))), Functional.MaxPool2d(x, 3, 2)], 1);
}

/// <summary>FIDInceptionE_1 (average pool, padding not counted) and E_2 (max pool: a bug in the
/// TensorFlow graph that FID keeps).</summary>
internal sealed class InceptionE : Module
{
    private readonly BasicConv2d _b1, _s1, _s2a, _s2b, _d1, _d2, _d3a, _d3b, _pool;
    private readonly bool _maxPool;

    public InceptionE(long input, bool maxPool)
    {
        _maxPool = maxPool;
        _b1 = Child("branch1x1", new BasicConv2d(input, 320, (1, 1)));
        _s1 = Child("branch3x3_1", new BasicConv2d(input, 384, (1, 1)));
        _s2a = Child("branch3x3_2a", new BasicConv2d(384, 384, (1, 3), padding: (0, 1)));
        _s2b = Child("branch3x3_2b", new BasicConv2d(384, 384, (3, 1), padding: (1, 0)));
        _d1 = Child("branch3x3dbl_1", new BasicConv2d(input, 448, (1, 1)));
        _d2 = Child("branch3x3dbl_2", new BasicConv2d(448, 384, (3, 3), padding: (1, 1)));
        _d3a = Child("branch3x3dbl_3a", new BasicConv2d(384, 384, (1, 3), padding: (0, 1)));
        _d3b = Child("branch3x3dbl_3b", new BasicConv2d(384, 384, (3, 1), padding: (1, 0)));
        _pool = Child("branch_pool", new BasicConv2d(input, 192, (1, 1)));
    }

    public Tensor Forward(Tensor x)
    {
        var s = _s1.Forward(x);
        var d = _d2.Forward(_d1.Forward(x));
        var pooled = _maxPool ? Functional.MaxPool2d(x, 3, 1, 1) : Functional.AvgPool2d(x, 3, 1, 1, countIncludePad: false);
        return Tensor.Cat([
            _b1.Forward(x),
            Tensor.Cat([_s2a.Forward(s), _s2b.Forward(s)], 1),
            Tensor.Cat([_d3a.Forward(d), _d3b.Forward(d)], 1),
            _pool.Forward(pooled),
        ], 1);
    }
}
