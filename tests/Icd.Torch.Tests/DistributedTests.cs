using System.Diagnostics;
using Icd.Torch.Distributed;

namespace Icd.Torch.Tests;

/// <summary>c10d's Gloo process group through the shim, two ranks as two threads on loopback.</summary>
public class DistributedTests
{
    /// <summary>Runs <paramref name="body"/> as each of <paramref name="world"/> ranks, each on its own thread.</summary>
    internal static T[] Ranks<T>(int world, TimeSpan timeout, Func<ProcessGroup, T> body)
    {
        int port = DistributedEnvironment.FreeLoopbackPort();
        var results = new T[world];
        var errors = new Exception?[world];
        var threads = Enumerable.Range(0, world).Select(rank => new Thread(() =>
        {
            try
            {
                using var group = ProcessGroup.Join(new DistributedEnvironment(rank, world, rank, "127.0.0.1", port), timeout, "lo");
                results[rank] = body(group);
            }
            catch (Exception e)
            {
                errors[rank] = e;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (errors.FirstOrDefault(e => e is not null) is { } error) throw new AggregateException(errors.Where(e => e is not null)!);
        return results;
    }

    [Fact]
    public void CollectivesGiveTheSumsAndCopies()
    {
        var results = Ranks(2, TimeSpan.FromSeconds(30), group =>
        {
            using var scope = new TensorScope();
            var x = Tensor.FromValues(new[] { 1f + group.Rank, 10f * (group.Rank + 1) });
            group.AllReduceSum(x);
            var b = Tensor.FromValues(new[] { group.Rank == 0 ? 7.5f : -1f });
            group.Broadcast(b, 0);
            var gathered = group.AllGather(Tensor.FromValues(new[] { (long)group.Rank * 3 }));
            group.Barrier();
            return (x.ToArray<float>(), b.ToArray<float>()[0], gathered.Select(g => g.Item<long>()).ToArray());
        });
        foreach (var (sum, broadcast, gathered) in results)
        {
            Assert.Equal([3f, 30f], sum);       // (1 + 2, 10 + 20)
            Assert.Equal(7.5f, broadcast);
            Assert.Equal([0L, 3L], gathered);
        }
    }

    /// <summary>A rank that never arrives: the other fails within the timeout, with a message that
    /// names itself and the operation, instead of hanging.</summary>
    [Fact]
    public void AMissingRankFailsTheOthersWithinTheTimeout()
    {
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<AggregateException>(() => Ranks(2, TimeSpan.FromSeconds(3), group =>
        {
            if (group.Rank == 1) { Thread.Sleep(8000); return 0; }   // stalls past the timeout
            using var scope = new TensorScope();
            group.AllReduceSum(Tensor.Ones([4]));
            return 0;
        }));
        var failure = Assert.IsType<DistributedException>(e.InnerExceptions.First(x => x is DistributedException));
        Assert.Equal(0, failure.Rank);
        Assert.Contains("rank 0 of 2: all-reduce failed", failure.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}");
    }

    [Fact]
    public void EnvironmentIsReadLikeTorchrun()
    {
        var env = new Dictionary<string, string> { ["WORLD_SIZE"] = "4", ["RANK"] = "2", ["LOCAL_RANK"] = "0", ["MASTER_ADDR"] = "node1", ["MASTER_PORT"] = "29600" };
        Assert.Equal(new DistributedEnvironment(2, 4, 0, "node1", 29600), DistributedEnvironment.FromEnvironment(k => env.GetValueOrDefault(k)));
        Assert.Null(DistributedEnvironment.FromEnvironment(_ => null));
        env["RANK"] = "4";
        Assert.Contains("RANK=4", Assert.Throws<ArgumentException>(() => DistributedEnvironment.FromEnvironment(k => env.GetValueOrDefault(k))).Message);
        env.Remove("RANK");
        Assert.Contains("RANK is not set", Assert.Throws<ArgumentException>(() => DistributedEnvironment.FromEnvironment(k => env.GetValueOrDefault(k))).Message);
    }
}
