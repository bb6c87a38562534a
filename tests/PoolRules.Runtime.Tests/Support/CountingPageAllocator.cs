using System;
using System.Collections.Concurrent;
using System.Threading;

namespace PoolRules.Runtime.Tests.Support;

/// <summary>
/// Wraps <see cref="PageAllocator.Default"/> and counts every live block and byte, so a test can prove that every
/// native byte a pool took came back. Frees of unknown blocks (double free) are recorded, not performed.
/// Fault injection: <see cref="FailEvery"/> makes every k-th <see cref="Alloc"/> call return 0 (the kernel's NULL).
/// </summary>
internal sealed class CountingPageAllocator : PageAllocator
{
    private readonly ConcurrentDictionary<nint, int> _live = new();
    private long _allocCalls;
    private long _freeCalls;
    private long _liveBytes;
    private long _failures;
    private long _badFrees;

    /// <summary>0: never fail; k: every k-th call to <see cref="Alloc"/> fails.</summary>
    public int FailEvery { get; set; }

    /// <summary>While true, every allocation fails.</summary>
    public bool FailAll { get; set; }

    public long AllocCalls => Volatile.Read(ref _allocCalls);

    public long FreeCalls => Volatile.Read(ref _freeCalls);

    public long Failures => Volatile.Read(ref _failures);

    public int LiveBlocks => _live.Count;

    public long LiveBytes => Volatile.Read(ref _liveBytes);

    /// <summary>Frees of a block that is not live: double frees or frees of foreign memory.</summary>
    public long BadFrees => Volatile.Read(ref _badFrees);

    /// <summary>The node asked for in the last allocation.</summary>
    public int LastNid { get; private set; } = int.MinValue;

    public bool IsLive(nint address) => _live.ContainsKey(address);

    public override nint Alloc(int order, int nid, AllocFlags flags)
    {
        var call = Interlocked.Increment(ref _allocCalls);
        LastNid = nid;
        if (FailAll || (FailEvery > 0 && call % FailEvery == 0))
        {
            Interlocked.Increment(ref _failures);
            return 0;
        }

        var address = Default.Alloc(order, nid, flags);
        if (address != 0)
        {
            _live[address] = order;
            Interlocked.Add(ref _liveBytes, PageSize << order);
        }

        return address;
    }

    public override void Free(nint address, int order)
    {
        Interlocked.Increment(ref _freeCalls);
        if (!_live.TryRemove(address, out var allocatedOrder) || allocatedOrder != order)
        {
            Interlocked.Increment(ref _badFrees);
            return;
        }

        Interlocked.Add(ref _liveBytes, -(PageSize << order));
        Default.Free(address, order);
    }
}
