using System;
using System.Threading;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// <c>page_pool_alloc_pages</c>: fast cache first, then a refill of up to 64 pages from the ring, then one bulk
/// call to the page allocator; the 5.18 counters move as the kernel's do.
/// </summary>
public sealed class AllocTests : IDisposable
{
    private readonly CountingPageAllocator _allocator = new();

    // Every test ends with its pool destroyed and its pages put back: not one native block may remain.
    public void Dispose()
    {
        Assert.Equal(0, _allocator.LiveBlocks);
        Assert.Equal(0, _allocator.BadFrees);
    }

    private PagePool CreatePool(int order = 0, int nid = NumaNode.NoNode, int poolSize = 0) =>
        PagePool.Create(new PagePoolParams { Order = order, Nid = nid, PoolSize = poolSize, PageAllocator = _allocator, Name = "alloc" });

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Pages_are_page_aligned_native_memory_of_4096_shifted_by_order(int order)
    {
        using var pool = CreatePool(order);
        var page = pool.AllocPages(AllocFlags.Atomic);

        Assert.NotNull(page);
        Assert.Equal(0, page.Address % PageAllocator.PageSize);
        Assert.Equal(4096 << order, page.Length);
        Assert.Equal(order, page.Order);
        Assert.True(_allocator.IsLive(page.Address));
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void A_page_span_covers_the_whole_page_and_is_writable()
    {
        using var pool = CreatePool(order: 1);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        var span = page.Span;
        Assert.Equal(8192, span.Length);
        span.Fill(0x5A);
        span[^1] = 0x42;
        Assert.Equal(0x5A, page.Span[0]);
        Assert.Equal(0x42, page.Span[8191]);
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void A_new_page_has_one_reference_and_belongs_to_its_pool()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        Assert.Equal(1, page.RefCount);
        Assert.Same(pool, page.Pool);
        Assert.Equal(NumaNode.Local, page.Nid);
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void The_first_allocation_from_an_empty_pool_finds_the_ring_empty_and_bulk_allocates_64_pages()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic);

        Assert.NotNull(page);
        var stats = pool.GetStats();
        Assert.Equal(1, stats.AllocEmpty);
        Assert.Equal(1, stats.AllocSlow);
        Assert.Equal(0, stats.AllocFast);
        Assert.Equal(0, stats.AllocRefill);
        Assert.Equal(PagePool.CacheRefill, _allocator.AllocCalls);
        Assert.Equal(PagePool.CacheRefill, _allocator.LiveBlocks);
        // The bulk's other 63 pages wait in the fast cache: held, so inflight, like the kernel's hold_cnt.
        Assert.Equal(PagePool.CacheRefill, pool.Inflight);
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void The_rest_of_the_bulk_is_served_from_the_fast_cache_without_touching_the_allocator()
    {
        using var pool = CreatePool();
        var pages = pool.AllocMany(PagePool.CacheRefill);

        var stats = pool.GetStats();
        Assert.Equal(1, stats.AllocSlow);
        Assert.Equal(PagePool.CacheRefill - 1, stats.AllocFast);
        Assert.Equal(PagePool.CacheRefill, _allocator.AllocCalls);
        Assert.Equal(PagePool.CacheRefill, new System.Collections.Generic.HashSet<nint>(pages.ConvertAll(p => p.Address)).Count);
        pool.PutAll(pages, allowDirect: false);
    }

    [Fact]
    public void Once_the_cache_and_ring_are_empty_the_next_allocation_is_another_bulk()
    {
        using var pool = CreatePool();
        var pages = pool.AllocMany(PagePool.CacheRefill + 1);

        var stats = pool.GetStats();
        Assert.Equal(2, stats.AllocEmpty);
        Assert.Equal(2, stats.AllocSlow);
        Assert.Equal(PagePool.CacheRefill - 1, stats.AllocFast);
        Assert.Equal(2 * PagePool.CacheRefill, _allocator.AllocCalls);
        Assert.Equal(2 * PagePool.CacheRefill, pool.Inflight);
        pool.PutAll(pages, allowDirect: false);
    }

    [Fact]
    public void An_empty_cache_refills_up_to_64_pages_from_the_ring_before_going_to_the_allocator()
    {
        using var pool = CreatePool();
        var pages = pool.AllocMany(2 * PagePool.CacheRefill);
        pool.PutAll(pages, allowDirect: false);
        var callsBefore = _allocator.AllocCalls;
        var before = pool.GetStats();
        Assert.Equal(2 * PagePool.CacheRefill, before.RecycleRing);

        var again = pool.AllocMany(PagePool.CacheRefill);
        var afterOneRefill = pool.GetStats();
        Assert.Equal(1, afterOneRefill.AllocRefill - before.AllocRefill);
        Assert.Equal(PagePool.CacheRefill - 1, afterOneRefill.AllocFast - before.AllocFast);

        // 64 pages still wait in the ring: the next allocation refills again instead of bulk allocating.
        again.Add(pool.AllocPages(AllocFlags.Atomic)!);
        var afterTwoRefills = pool.GetStats();
        Assert.Equal(2, afterTwoRefills.AllocRefill - before.AllocRefill);
        Assert.Equal(before.AllocSlow, afterTwoRefills.AllocSlow);
        Assert.Equal(before.AllocEmpty, afterTwoRefills.AllocEmpty);
        Assert.Equal(callsBefore, _allocator.AllocCalls);
        Assert.Equal(2 * PagePool.CacheRefill, pool.Inflight);
        pool.PutAll(again, allowDirect: false);
    }

    [Fact]
    public void A_refill_takes_what_the_ring_has_when_it_holds_fewer_than_64()
    {
        using var pool = CreatePool();
        var pages = pool.AllocMany(PagePool.CacheRefill);
        pool.PutAll(pages.GetRange(0, 10), allowDirect: false);

        var refilled = pool.AllocMany(10);
        var stats = pool.GetStats();
        Assert.Equal(1, stats.AllocRefill);
        Assert.Equal(PagePool.CacheRefill - 1 + 9, stats.AllocFast);
        Assert.Equal(1, stats.AllocSlow);
        Assert.Equal(PagePool.CacheRefill, _allocator.AllocCalls);

        pool.PutAll(refilled, allowDirect: false);
        pool.PutAll(pages.GetRange(10, pages.Count - 10), allowDirect: false);
    }

    [Fact]
    public void Higher_order_pages_come_one_per_allocator_call_and_count_as_slow_high_order()
    {
        using var pool = CreatePool(order: 2);
        var first = pool.AllocPages(AllocFlags.Atomic)!;
        var second = pool.AllocPages(AllocFlags.Atomic)!;

        var stats = pool.GetStats();
        Assert.Equal(2, stats.AllocSlowHighOrder);
        Assert.Equal(0, stats.AllocSlow);
        Assert.Equal(2, _allocator.AllocCalls);
        Assert.Equal(2 * (4096 << 2), _allocator.LiveBytes);
        Assert.Equal(2, pool.Inflight);
        pool.PutFullPage(first, allowDirect: false);
        pool.PutFullPage(second, allowDirect: false);
    }

    [Fact]
    public void DevAllocPages_allocates_like_AllocPages()
    {
        using var pool = CreatePool();
        var page = pool.DevAllocPages();

        Assert.NotNull(page);
        Assert.Equal(1, pool.GetStats().AllocSlow);
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void Inflight_is_pages_held_minus_pages_released()
    {
        using var pool = CreatePool();
        var pages = pool.AllocMany(3);
        Assert.Equal(PagePool.CacheRefill, pool.Inflight);

        pool.ReleasePage(pages[0]);
        Assert.Equal(PagePool.CacheRefill - 1, pool.Inflight);
        pages[0].Put();

        // Recycling keeps a page held: inflight does not move.
        pool.PutFullPage(pages[1], allowDirect: false);
        Assert.Equal(PagePool.CacheRefill - 1, pool.Inflight);
        pool.PutFullPage(pages[2], allowDirect: false);
    }

    [Fact]
    public void A_pool_for_a_node_allocates_on_that_node()
    {
        using var pool = CreatePool(nid: 1);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        Assert.Equal(1, _allocator.LastNid);
        Assert.Equal(1, page.Nid);
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void A_pool_without_a_node_allocates_on_the_local_node()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        Assert.Equal(NumaNode.Local, _allocator.LastNid);
        Assert.Equal(NumaNode.NoNode, pool.Nid);
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void After_UpdateNid_a_refill_waives_a_ring_page_of_the_old_node_and_allocates_on_the_new_one()
    {
        using var pool = CreatePool();
        var pages = pool.AllocMany(PagePool.CacheRefill);
        pool.PutAll(pages, allowDirect: false);
        var liveBefore = _allocator.LiveBlocks;

        pool.UpdateNid(1);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        Assert.Equal(1, pool.Nid);
        var stats = pool.GetStats();
        Assert.Equal(1, stats.AllocWaive);
        Assert.Equal(0, stats.AllocRefill);
        Assert.Equal(2, stats.AllocSlow);
        Assert.Equal(1, page.Nid);
        Assert.Equal(1, _allocator.LastNid);
        // The waived page went back to the page allocator; a fresh bulk of 64 came in.
        Assert.Equal(liveBefore - 1 + PagePool.CacheRefill, _allocator.LiveBlocks);
        Assert.Equal(2 * PagePool.CacheRefill - 1, pool.Inflight);
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void UpdateNid_flushes_the_fast_cache_so_the_next_page_comes_from_the_new_node()
    {
        using var pool = CreatePool(nid: 0);
        var first = pool.AllocPages(AllocFlags.Atomic)!; // the bulk of 64 on node 0: 63 wait in the fast cache
        Assert.Equal(PagePool.CacheRefill, _allocator.LiveBlocks);

        pool.UpdateNid(1);

        // The 63 cached pages of node 0 went back to the page allocator, with their release accounted.
        Assert.Equal(1, _allocator.LiveBlocks);
        Assert.Equal(1, pool.Inflight);
        var next = pool.AllocPages(AllocFlags.Atomic)!;
        Assert.Equal(1, next.Nid);
        Assert.Equal(1, _allocator.LastNid);
        Assert.Equal(2, pool.GetStats().AllocSlow);
        Assert.Equal(0, pool.GetStats().AllocFast);
        pool.PutFullPage(first, allowDirect: false);
        pool.PutFullPage(next, allowDirect: false);
    }

    [Fact]
    public void Inflight_never_reads_below_zero_while_another_thread_allocates_and_releases()
    {
        using var pool = CreatePool();
        using var stop = new CancellationTokenSource();
        var minimum = long.MaxValue;
        var reader = TestThreads.Start(1, _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                var inflight = pool.Inflight;
                if (inflight < minimum)
                {
                    minimum = inflight;
                }
            }
        });

        // Allocate and release pages as fast as one thread can: holds and releases move together.
        var worker = TestThreads.Start(1, _ =>
        {
            for (var i = 0; i < 200_000; i++)
            {
                var page = pool.DevAllocPages()!;
                pool.ReleasePage(page);
                page.Put();
            }
        });
        worker.Join();
        stop.Cancel();
        reader.Join();

        Assert.True(minimum >= 0, $"Inflight read {minimum}");
        Assert.Equal(0, pool.Inflight);
    }

    [Fact]
    public void UpdateNid_refuses_a_node_below_NoNode()
    {
        using var pool = CreatePool();
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.UpdateNid(-2));
    }

    [Fact]
    public void UpdateNid_back_to_the_pages_node_refills_from_the_ring_again()
    {
        using var pool = CreatePool(nid: 0);
        var pages = pool.AllocMany(PagePool.CacheRefill);
        pool.PutAll(pages, allowDirect: false);

        pool.UpdateNid(NumaNode.NoNode);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        var stats = pool.GetStats();
        Assert.Equal(0, stats.AllocWaive);
        Assert.Equal(1, stats.AllocRefill);
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void A_destroyed_pool_hands_out_no_more_pages()
    {
        var pool = CreatePool();
        pool.Destroy();

        Assert.Throws<ObjectDisposedException>(() => pool.AllocPages(AllocFlags.Atomic));
    }
}
