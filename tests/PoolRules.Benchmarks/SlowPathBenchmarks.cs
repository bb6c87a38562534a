using System.Buffers;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using PoolRules.Runtime;

namespace PoolRules.Benchmarks;

/// <summary>
/// Slow path: allocation from an empty pool. Every page leaves the pool again (<c>ReleasePage</c> + <c>Page.Put</c>:
/// unmapped, accounted, its memory back to the page allocator), so each batch of 64 starts from an empty fast cache
/// and an empty ring and is served by one bulk call to the page allocator, amortised per page. Baseline:
/// NativeMemory.AlignedAlloc + AlignedFree of 4096 bytes, one at a time and 64 at a time.
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class SlowPathBenchmarks
{
    private const int Batch = PagePool.CacheRefill;
    private const int Batches = 16;
    private const int Ops = Batch * Batches;

    private PagePool _pool = null!;
    private PagePool _ringFullPool = null!;
    private readonly Page[] _pages = new Page[Batch];
    private readonly nint[] _blocks = new nint[Batch];

    [GlobalSetup]
    public void Setup()
    {
        _pool = PagePool.Create(new PagePoolParams { Name = "bench-slow" });

        // A ring of one slot: after the first put every put from outside the NAPI context finds it full and the
        // page goes back to the page allocator (the kernel's recycle_ring_full path).
        _ringFullPool = PagePool.Create(new PagePoolParams { Name = "bench-ring-full", PoolSize = 1 });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.Destroy();
        _ringFullPool.Destroy();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public unsafe void NativeMemory_AlignedAllocFree()
    {
        for (var i = 0; i < Ops; i++)
        {
            var block = NativeMemory.AlignedAlloc(PageAllocator.PageSize, PageAllocator.PageSize);
            NativeMemory.AlignedFree(block);
        }
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public unsafe void NativeMemory_AlignedAllocFree_Batch()
    {
        var blocks = _blocks;
        for (var b = 0; b < Batches; b++)
        {
            for (var i = 0; i < blocks.Length; i++)
            {
                blocks[i] = (nint)NativeMemory.AlignedAlloc(PageAllocator.PageSize, PageAllocator.PageSize);
            }

            for (var i = 0; i < blocks.Length; i++)
            {
                NativeMemory.AlignedFree((void*)blocks[i]);
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void ArrayPool_RentReturn()
    {
        var pool = ArrayPool<byte>.Shared;
        for (var i = 0; i < Ops; i++)
        {
            pool.Return(pool.Rent(PageAllocator.PageSize));
        }
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void PagePool_EmptyPool_AllocRelease()
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
                var page = pages[i];
                pool.ReleasePage(page);
                page.Put();
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void PagePool_RingFull_AllocPut()
    {
        var pool = _ringFullPool;
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
}
