using System.CommandLine;
using System.Diagnostics;
using Icd.Torch;

namespace Icd.Cli.Commands;

/// <summary><c>icd demo</c>: a tensor smoke demo (until the Shapes model ships): seeded noise
/// identical to PyTorch's, a conv + attention forward and backward, and the BLAS check.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Run a short tensor-engine demo (seeded noise, conv, attention, autograd)");
        command.SetAction(_ =>
        {
            BlasWarning.Print();
            var sw = Stopwatch.StartNew();
            using var scope = new TensorScope();
            using var gen = new Generator(10500);
            var noise = Tensor.Randn([1, 4, 64, 64], gen);
            Console.WriteLine($"noise         torch.manual_seed(10500); torch.randn(1,4,64,64)[0,0,0,:3] = [{string.Join(", ", noise.ToArray<float>().Take(3).Select(v => v.ToString("F6")))}]");
            var weight = Tensor.Randn([320, 4, 3, 3], gen).Mul(0.1).RequiresGrad_();
            var h = Functional.Conv2d(noise, weight, null, padding: 1).Silu();           // (1, 320, 64, 64)
            var tokens = h.Flatten(2).Transpose(1, 2);                                   // (1, 4096, 320)
            var probs = tokens.Bmm(tokens.Transpose(1, 2)).Mul(1 / Math.Sqrt(320)).Softmax(-1); // (1, 4096, 4096)
            var output = probs.Bmm(tokens);
            var loss = output.Square().Mean();
            var grad = Autograd.Grad(loss, weight);
            Console.WriteLine($"attention     4096×4096 self-attention over a 320-channel conv: loss {loss.Item():F6}, |∇W| {grad.Norm().Item():F6}");
            Console.WriteLine($"blas          {TorchRuntime.BlasLibrary()} ({TorchRuntime.Threads} threads)");
            Console.WriteLine($"done in {sw.Elapsed.TotalSeconds:F2} s");
            return 0;
        });
        return command;
    }
}
