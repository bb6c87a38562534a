using BenchmarkDotNet.Attributes;
using PoolRules.Runtime;

namespace PoolRules.Benchmarks;

/// <summary>
/// <c>PutPagesBulk</c> against a loop of <c>PutFullPage(page, allowDirect: false)</c>, 64-page batches put back from
/// a thread that is not the pool's NAPI poll, so every page takes the ring. Two shapes: on one thread (put the batch,
/// then take it back out through the refill: the put side's own cost plus a common refill), and through the two-thread
/// hand-off of <see cref="RingPathBenchmarks"/> (the worker puts, the allocating side refills; the round trip).
/// Per-page time. Target: the bulk put at least 1.5x faster.
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class BulkPutBenchmarks
{
    private const int Batch = HandOff<object>.BatchSize;
    private const int Batches = 64;
    private const int Ops = Batches * Batch;
    private const int BatchesInFlight = 4;

    private PagePool _pool = null!;
    private Page[] _pages = null!;
    private PagePool _loopPool = null!;
    private PagePool _bulkPool = null!;
    private HandOff<Page> _loopHandOff = null!;
    private HandOff<Page> _bulkHandOff = null!;

    [GlobalSetup]
    public void Setup()
    {
        // The pools' NAPI instance never polls here: the benchmark threads are "another thread" to them.
        var napi = new Napi(new NetDevice("bench1", 1, 1), (_, _) => 0);
        _pool = PagePool.Create(new PagePoolParams { Name = "bench-bulk", Napi = napi });
        _pages = new Page[Batch];
        Warm(_pool, Batch * 2);

        _loopPool = PagePool.Create(new PagePoolParams { Name = "bench-bulk-loop", Napi = napi });
        _bulkPool = PagePool.Create(new PagePoolParams { Name = "bench-bulk-bulk", Napi = napi });
        Warm(_loopPool, (BatchesInFlight + 2) * Batch);
        Warm(_bulkPool, (BatchesInFlight + 2) * Batch);
        var loopPool = _loopPool;
        _loopHandOff = new HandOff<Page>(BatchesInFlight, batch =>
        {
            foreach (var page in batch)
            {
                loopPool.PutFullPage(page, allowDirect: false);
            }
        });
        _bulkHandOff = new HandOff<Page>(BatchesInFlight, static batch => PagePool.PutPagesBulk(batch));
    }

    // As many pages in circulation as the benchmark keeps out, all in the ring, so nothing grows from the allocator.
    private static void Warm(PagePool pool, int count)
    {
        var warm = new Page[count];
        for (var i = 0; i < count; i++)
        {
            warm[i] = pool.DevAllocPages()!;
        }

        PagePool.PutPagesBulk(warm);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _loopHandOff.Dispose();
        _bulkHandOff.Dispose();
        _pool.Destroy();
        _loopPool.Destroy();
        _bulkPool.Destroy();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public void PutFullPage_Loop_SameThread()
    {
        var pool = _pool;
        var pages = _pages;
        for (var b = 0; b < Batches; b++)
        {
            for (var i = 0; i < pages.Length; i++)
            {
                pages[i] = pool.DevAllocPages()!;
            }

            for (var i = 0; i < pages.Length; i++)
            {
                pool.PutFullPage(pages[i], allowDirect: false);
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void PutPagesBulk_SameThread()
    {
        var pool = _pool;
        var pages = _pages;
        for (var b = 0; b < Batches; b++)
        {
            for (var i = 0; i < pages.Length; i++)
            {
                pages[i] = pool.DevAllocPages()!;
            }

            PagePool.PutPagesBulk(pages);
        }
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void PutFullPage_Loop_HandOff() => RoundTrip(_loopPool, _loopHandOff);

    [Benchmark(OperationsPerInvoke = Ops)]
    public void PutPagesBulk_HandOff() => RoundTrip(_bulkPool, _bulkHandOff);

    private static void RoundTrip(PagePool pool, HandOff<Page> handOff)
    {
        for (var b = 0; b < Batches; b++)
        {
            var batch = handOff.TakeEmpty();
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = pool.DevAllocPages()!;
            }

            handOff.Post(batch);
        }

        handOff.Drain();
    }

    /// <summary>The put side alone, on one thread: a batch into the ring; the refill that empties it is not timed.</summary>
    internal static double PutOnlyNanosPerPage(bool bulk, int rounds)
    {
        var napi = new Napi(new NetDevice("bench2", 1, 1), (_, _) => 0);
        var pool = PagePool.Create(new PagePoolParams { Name = "bench-put-only", Napi = napi });
        var pages = new Page[Batch];
        long ticks = 0;
        for (var r = 0; r < rounds; r++)
        {
            for (var i = 0; i < pages.Length; i++)
            {
                pages[i] = pool.DevAllocPages()!;
            }

            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            if (bulk)
            {
                PagePool.PutPagesBulk(pages);
            }
            else
            {
                for (var i = 0; i < pages.Length; i++)
                {
                    pool.PutFullPage(pages[i], allowDirect: false);
                }
            }

            ticks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        }

        pool.Destroy();
        return ticks * 1e9 / System.Diagnostics.Stopwatch.Frequency / ((double)rounds * Batch);
    }
}
