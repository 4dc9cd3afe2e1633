using Icd.Torch.Interop;

namespace Icd.Torch.Distributed;

/// <summary>Where this process sits in a job: torchrun's variables.</summary>
public sealed record DistributedEnvironment(int Rank, int WorldSize, int LocalRank, string MasterAddress, int MasterPort)
{
    /// <summary>A TCP port free on the loopback interface now, for a job on this machine's rendezvous.</summary>
    public static int FreeLoopbackPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>From RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (torchrun, Slurm scripts,
    /// Kubernetes); null when WORLD_SIZE is unset or 1. Inconsistent values are errors naming the variable.</summary>
    public static DistributedEnvironment? FromEnvironment(Func<string, string?>? get = null)
    {
        get ??= Environment.GetEnvironmentVariable;
        string? world = get("WORLD_SIZE");
        if (string.IsNullOrEmpty(world) || world == "1") return null;
        int Int(string name, string? fallback = null)
        {
            string? value = get(name) ?? fallback;
            if (value is null) throw new ArgumentException($"{name} is not set (WORLD_SIZE={world} asks for a distributed run: torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT)");
            return int.TryParse(value, out int v) ? v : throw new ArgumentException($"{name}='{value}' is not an integer");
        }
        int size = Int("WORLD_SIZE"), rank = Int("RANK"), local = Int("LOCAL_RANK", get("RANK")), port = Int("MASTER_PORT", "29500");
        if (size < 1) throw new ArgumentException($"WORLD_SIZE={size} must be ≥ 1");
        if (rank < 0 || rank >= size) throw new ArgumentException($"RANK={rank} must be in 0..{size - 1} (WORLD_SIZE={size})");
        if (port is < 1 or > 65535) throw new ArgumentException($"MASTER_PORT={port} must be in 1..65535");
        return new DistributedEnvironment(rank, size, local, get("MASTER_ADDR") is { Length: > 0 } addr ? addr : "127.0.0.1", port);
    }
}

/// <summary>
/// A c10d process group over Gloo (libtorch's own: TCPStore rendezvous at MASTER_ADDR:MASTER_PORT,
/// rank 0 hosting the store). Collectives are blocking and in place; a peer that died or stalls
/// makes them fail within <see cref="Timeout"/> with a <see cref="DistributedException"/> that names
/// this rank and the operation, never a silent hang.
/// </summary>
public sealed class ProcessGroup : IDisposable
{
    private IntPtr _handle;

    private ProcessGroup(IntPtr handle, int rank, int worldSize, TimeSpan timeout)
    {
        _handle = handle;
        Rank = rank;
        WorldSize = worldSize;
        Timeout = timeout;
    }

    public int Rank { get; }
    public int WorldSize { get; }
    public TimeSpan Timeout { get; }
    public bool IsMain => Rank == 0;

    /// <summary>Joins the job (blocks until every rank has joined, or the timeout passes).
    /// <paramref name="networkInterface"/>: Gloo's interface (GLOO_SOCKET_IFNAME), else the host's address.</summary>
    public static ProcessGroup Join(DistributedEnvironment env, TimeSpan timeout, string? networkInterface = null)
    {
        networkInterface ??= Environment.GetEnvironmentVariable("GLOO_SOCKET_IFNAME");
        int status = Native.DistInit(env.MasterAddress, env.MasterPort, env.Rank, env.WorldSize, (long)timeout.TotalMilliseconds, networkInterface, out IntPtr handle);
        if (status != 0)
            throw new DistributedException(env.Rank, $"rank {env.Rank}: could not join the {env.WorldSize}-process job at {env.MasterAddress}:{env.MasterPort} within {timeout.TotalSeconds:F0} s: {Native.LastError()}");
        return new ProcessGroup(handle, env.Rank, env.WorldSize, timeout);
    }

    /// <summary>Copies rank <paramref name="root"/>'s values into <paramref name="tensor"/> on every rank.</summary>
    public void Broadcast(Tensor tensor, int root = 0) => Run("broadcast", Native.DistBroadcast(Handle, tensor.NativeHandle, root), tensor);

    /// <summary>Every rank ends with the element-wise sum over ranks.</summary>
    public void AllReduceSum(Tensor tensor) => Run("all-reduce", Native.DistAllReduceSum(Handle, tensor.NativeHandle), tensor);

    /// <summary>Each rank's <paramref name="tensor"/>, in rank order.</summary>
    public Tensor[] AllGather(Tensor tensor)
    {
        var outputs = Enumerable.Range(0, WorldSize).Select(_ => Tensor.EmptyLike(tensor)).ToArray();
        var handles = outputs.Select(o => o.NativeHandle).ToArray();
        unsafe
        {
            fixed (IntPtr* p = handles) Run("all-gather", Native.DistAllGather(Handle, tensor.NativeHandle, p, WorldSize), tensor);
        }
        GC.KeepAlive(outputs);
        return outputs;
    }

    public void Barrier() => Run("barrier", Native.DistBarrier(Handle), null);

    private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(ProcessGroup));

    private void Run(string operation, int status, Tensor? keepAlive)
    {
        GC.KeepAlive(keepAlive);
        if (status != 0)
            throw new DistributedException(Rank, $"rank {Rank} of {WorldSize}: {operation} failed (another rank stopped, or did not arrive within {Timeout.TotalSeconds:F0} s): {Native.LastError()}");
    }

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        Native.DistFree(_handle);
        _handle = IntPtr.Zero;
    }
}

/// <summary>A collective or the rendezvous failed; <see cref="Rank"/> is the rank that saw it.</summary>
public sealed class DistributedException(int rank, string message) : Exception(message)
{
    public int Rank { get; } = rank;
}
