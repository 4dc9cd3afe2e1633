using Icd.Torch;
using Xunit;

namespace Icd.Torch.Tests;

public class OpProfileTests
{
    [Fact]
    public void RecordsEachOpCallAndItsBackward()
    {
        string dir = Directory.CreateTempSubdirectory("icd-profile-").FullName;
        string trace = Path.Combine(dir, "trace.json");
        try
        {
            using var a = Tensor.Ones([8, 8]);
            using var b = Tensor.Ones([8, 8]);
            b.RequiresGrad = true;
            using (OpProfile.Record(trace))
            {
                using var scope = new TensorScope();
                var y = a.Mm(b);
                y = y.Mm(b);
                y = y.Mm(b);
                Autograd.Backward([y.Sum()]);
            }
            var totals = OpProfile.Summarize(trace).ToDictionary(o => o.Name);
            // Three forward products, and the backward of each needs one product for b's gradient
            // (the first's input a needs none) plus one for the gradient flowing on to its input.
            Assert.Equal(3 + 3 + 2, totals["aten::mm"].Calls);
            Assert.InRange(totals["aten::mm"].SelfMilliseconds, 0, totals["aten::mm"].Milliseconds);
            Assert.False(File.Exists(trace + ".partial"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void SelfTimeLeavesOutNestedOpsOnTheSameThread()
    {
        // Thread 1: a [0, 100 µs] calls b [10, 40], which calls c [20, 30]; thread 2: a [5, 55] alone.
        string trace = Path.GetTempFileName();
        try
        {
            File.WriteAllText(trace, """
                [{"name":"c","ph":"X","ts":20,"dur":10,"tid":1},{"name":"a","ph":"X","ts":0,"dur":100,"tid":1},
                 {"name":"b","ph":"X","ts":10,"dur":30,"tid":1},{"name":"a","ph":"X","ts":5,"dur":50,"tid":2},
                 {"name":"meta","ph":"M","ts":0,"tid":1}]
                """);
            var totals = OpProfile.Summarize(trace);
            Assert.Equal(["a", "b", "c"], totals.Select(o => o.Name));
            var a = totals[0];
            Assert.Equal((2, 0.150, 0.120), (a.Calls, a.Milliseconds, a.SelfMilliseconds));
            Assert.Equal((1, 0.030, 0.020), (totals[1].Calls, totals[1].Milliseconds, totals[1].SelfMilliseconds));
            Assert.Equal((1, 0.010, 0.010), (totals[2].Calls, totals[2].Milliseconds, totals[2].SelfMilliseconds));
        }
        finally
        {
            File.Delete(trace);
        }
    }
}
