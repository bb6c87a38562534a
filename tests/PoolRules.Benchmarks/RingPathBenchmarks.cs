using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using PoolRules.Runtime;

namespace PoolRules.Benchmarks;

/// <summary>
/// Ring path, measured as the hand-off a driver does: the benchmark thread (the "NAPI" poll) allocates batches of
/// 64 pages and hands them to a long-lived worker thread, which puts every page back with
/// <c>PutFullPage(page, allowDirect: false)</c>, into the pool's ptr-ring; the allocating side refills its fast
/// cache from the ring. Per-page time of the whole round trip. Baselines through the same hand-off: a
/// ConcurrentQueue hand-back (the renting side dequeues buffers, the worker enqueues them back), ArrayPool.Shared
/// (rent on one thread, return on the other) and NativeMemory (alloc on one thread, free on the other).
/// Targets: at least 10x faster than ArrayPool.Shared, no slower than the ConcurrentQueue hand-back, 0 B per page.
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class RingPathBenchmarks
{
    private const int Batches = 64;
    private const int Ops = Batches * HandOff<object>.BatchSize;
    private const int BatchesInFlight = 4;

    // Buffers (pages) in circulation: the batches in flight plus two batches of slack.
    private const int Circulating = (BatchesInFlight + 2) * HandOff<object>.BatchSize;

    private PagePool _pool = null!;
    private HandOff<Page> _pageHandOff = null!;
    private ConcurrentQueue<byte[]> _queue = null!;
    private HandOff<byte[]> _queueHandOff = null!;
    private HandOff<byte[]> _arrayPoolHandOff = null!;
    private NativeBlock[] _blocks = null!;
    private HandOff<NativeBlock> _nativeHandOff = null!;

    [GlobalSetup]
    public void Setup()
    {
        _pool = PagePool.Create(new PagePoolParams { Name = "bench-ring" });
        var pool = _pool;

        // Warm-up: as many pages in circulation as the ConcurrentQueue baseline has buffers, all in the ring, so
        // neither side starts out growing from the page allocator and both have the same slack.
        var warm = new Page[Circulating];
        for (var i = 0; i < warm.Length; i++)
        {
            warm[i] = pool.DevAllocPages()!;
        }

        foreach (var page in warm)
        {
            pool.PutFullPage(page, allowDirect: false);
        }

        _pageHandOff = new HandOff<Page>(BatchesInFlight, batch =>
        {
            foreach (var page in batch)
            {
                pool.PutFullPage(page, allowDirect: false);
            }
        });

        _queue = new ConcurrentQueue<byte[]>();
        for (var i = 0; i < Circulating; i++)
        {
            _queue.Enqueue(new byte[PageAllocator.PageSize]);
        }

        var queue = _queue;
        _queueHandOff = new HandOff<byte[]>(BatchesInFlight, batch =>
        {
            foreach (var buffer in batch)
            {
                queue.Enqueue(buffer);
            }
        });

        _arrayPoolHandOff = new HandOff<byte[]>(BatchesInFlight, batch =>
        {
            foreach (var buffer in batch)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });

        // NativeMemory has no object to hand over: reusable boxes carry the addresses, so only the
        // AlignedAlloc on one thread and the AlignedFree on the other are measured.
        _blocks = new NativeBlock[(BatchesInFlight + 1) * HandOff<object>.BatchSize];
        for (var i = 0; i < _blocks.Length; i++)
        {
            _blocks[i] = new NativeBlock();
        }

        _nativeHandOff = new HandOff<NativeBlock>(BatchesInFlight, static batch =>
        {
            foreach (var block in batch)
            {
                block.Free();
            }
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pageHandOff.Dispose();
        _queueHandOff.Dispose();
        _arrayPoolHandOff.Dispose();
        _nativeHandOff.Dispose();

        // Shows that the steady state ran from the ring: no slow allocation after the warm-up's.
        var stats = _pool.GetStats();
        if (stats.AllocFast > Circulating)
        {
            Console.WriteLine($"// {_pool}: returned {_pageHandOff.Returned}, alloc fast {stats.AllocFast} refill {stats.AllocRefill} " +
            $"slow {stats.AllocSlow} empty {stats.AllocEmpty}, recycle ring {stats.RecycleRing} ring-full {stats.RecycleRingFull}");
        }

        _pool.Destroy();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public void ConcurrentQueue_HandBack()
    {
        var handOff = _queueHandOff;
        var queue = _queue;
        for (var b = 0; b < Batches; b++)
        {
            var batch = handOff.TakeEmpty();
            for (var i = 0; i < batch.Length; i++)
            {
                if (!queue.TryDequeue(out var buffer))
                {
                    // Only until enough buffers circulate; the setup seeds more than ever stay in flight.
                    buffer = new byte[PageAllocator.PageSize];
                }

                batch[i] = buffer;
            }

            handOff.Post(batch);
        }

        handOff.Drain();
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void PagePool_RingHandOff()
    {
        var handOff = _pageHandOff;
        var pool = _pool;
        for (var b = 0; b < Batches; b++)
        {
            var batch = handOff.TakeEmpty();
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = pool.DevAllocPages() ?? throw new InvalidOperationException("The pool ran dry.");
            }

            handOff.Post(batch);
        }

        handOff.Drain();
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void ArrayPool_CrossThread()
    {
        var handOff = _arrayPoolHandOff;
        var pool = ArrayPool<byte>.Shared;
        for (var b = 0; b < Batches; b++)
        {
            var batch = handOff.TakeEmpty();
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = pool.Rent(PageAllocator.PageSize);
            }

            handOff.Post(batch);
        }

        handOff.Drain();
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void NativeMemory_CrossThread()
    {
        var handOff = _nativeHandOff;
        var blocks = _blocks;
        var next = 0;
        for (var b = 0; b < Batches; b++)
        {
            var batch = handOff.TakeEmpty();
            for (var i = 0; i < batch.Length; i++)
            {
                // A box is reused only after the worker freed its block: at most BatchesInFlight batches are out.
                var block = blocks[next];
                next = next + 1 == blocks.Length ? 0 : next + 1;
                block.Alloc();
                batch[i] = block;
            }

            handOff.Post(batch);
        }

        handOff.Drain();
    }

    /// <summary>Carries one native block's address across the hand-off.</summary>
    public sealed class NativeBlock
    {
        private nint _address;

        public unsafe void Alloc() => _address = (nint)NativeMemory.AlignedAlloc(PageAllocator.PageSize, PageAllocator.PageSize);

        public unsafe void Free()
        {
            NativeMemory.AlignedFree((void*)_address);
            _address = 0;
        }
    }
}
