using System;
using System.Threading;
using BenchmarkDotNet.Attributes;
using PoolRules.Runtime;

namespace PoolRules.Benchmarks;

/// <summary>
/// The ring alone, in the ring path's hand-off: the benchmark thread (the pool's consumer) takes batches of 64 page
/// objects out of the ring, a worker thread (a producer) puts each back. The runtime's lock-free
/// <c>PtrRing&lt;T&gt;</c> (one compare-exchange per produce, no lock per consume) against the kernel's split
/// producer/consumer locking (<see cref="LockedPtrRing{T}"/>: a spin lock per produce, one consumer lock per batch,
/// as page_pool_refill_alloc_cache takes it). Baseline: the kernel's design.
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class PtrRingBenchmarks
{
    private const int Batches = 64;
    private const int Ops = Batches * HandOff<object>.BatchSize;
    private const int BatchesInFlight = 4;
    private const int RingSize = PagePool.DefaultPoolSize;

    // Items in circulation, as in RingPathBenchmarks: the batches in flight plus two batches of slack.
    private const int Items = (BatchesInFlight + 2) * HandOff<object>.BatchSize;

    private PtrRing<Page> _lockFree = null!;
    private HandOff<Page> _lockFreeHandOff = null!;
    private LockedPtrRing<Page> _locked = null!;
    private HandOff<Page> _lockedHandOff = null!;

    [GlobalSetup]
    public void Setup()
    {
        var lockFree = new PtrRing<Page>(RingSize);
        var locked = new LockedPtrRing<Page>(RingSize);
        for (var i = 0; i < Items; i++)
        {
            lockFree.TryProduce(new Page(PageAllocator.Default, home: null));
            locked.TryProduce(new Page(PageAllocator.Default, home: null));
        }

        _lockFree = lockFree;
        _locked = locked;
        _lockFreeHandOff = new HandOff<Page>(BatchesInFlight, batch =>
        {
            foreach (var page in batch)
            {
                if (!lockFree.TryProduce(page))
                {
                    throw new InvalidOperationException("PtrRing full.");
                }
            }
        });
        _lockedHandOff = new HandOff<Page>(BatchesInFlight, batch =>
        {
            foreach (var page in batch)
            {
                if (!locked.TryProduce(page))
                {
                    throw new InvalidOperationException("LockedPtrRing full.");
                }
            }
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _lockFreeHandOff.Dispose();
        _lockedHandOff.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public void LockedPtrRing_HandOff()
    {
        var handOff = _lockedHandOff;
        var ring = _locked;
        for (var b = 0; b < Batches; b++)
        {
            var batch = handOff.TakeEmpty();
            var filled = 0;
            var spin = default(SpinWait);
            while (filled < batch.Length)
            {
                var taken = ring.ConsumeBatched(batch!, filled);
                filled += taken;
                if (taken == 0)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }

            handOff.Post(batch);
        }

        handOff.Drain();
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void PtrRing_HandOff()
    {
        var handOff = _lockFreeHandOff;
        var ring = _lockFree;
        for (var b = 0; b < Batches; b++)
        {
            var batch = handOff.TakeEmpty();
            for (var i = 0; i < batch.Length; i++)
            {
                Page? page;
                var spin = default(SpinWait);
                while ((page = ring.TryConsume()) is null)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }

                batch[i] = page;
            }

            handOff.Post(batch);
        }

        handOff.Drain();
    }
}
