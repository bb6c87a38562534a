using System;
using System.Collections.Generic;
using System.Linq;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// <c>PutPagesBulk</c> (kernel 5.11, mixed pools 6.14): every page back to its own pool by the rules of
/// <c>PutFullPage(page, allowDirect: false)</c>, the ring-bound pages of each pool in one ring transaction.
/// </summary>
public sealed class BulkPutTests : IDisposable
{
    private readonly CountingPageAllocator _allocator = new();

    public void Dispose() => Assert.Equal(0, _allocator.BadFrees);

    private PagePool CreatePool(string name, int poolSize = 0, Napi? napi = null, bool isChecked = false) => PagePool.Create(new PagePoolParams
    {
        PageAllocator = _allocator,
        PoolSize = poolSize,
        Napi = napi,
        Checked = isChecked,
        Name = name,
    });

    private void DestroyAll(params PagePool[] pools)
    {
        foreach (var pool in pools)
        {
            pool.Destroy();
            Assert.True(pool.Freed.IsCompletedSuccessfully, $"{pool} not freed");
        }

        Assert.Equal(0, _allocator.LiveBlocks);
    }

    // A refill takes up to 64 pages from the ring in ring order and hands them out from the top: the reverse.
    private static List<Page> TakeBack(PagePool pool, int count) => pool.AllocMany(count);

    [Fact]
    public void Pages_of_several_pools_go_back_each_to_its_own_ring_in_their_order()
    {
        var a = CreatePool("a");
        var b = CreatePool("b");
        var pa = a.AllocMany(5);
        var pb = b.AllocMany(3);

        // Empty the fast caches (the rest of each first bulk allocation), so the next allocations refill from the rings.
        var aCached = a.AllocMany(PagePool.CacheRefill - 5);
        var bCached = b.AllocMany(PagePool.CacheRefill - 3);

        PagePool.PutPagesBulk([pa[0], pb[0], pa[1], pa[2], pb[1], pa[3], pb[2], pa[4]]);

        Assert.Equal(5, a.GetStats().RecycleRing);
        Assert.Equal(3, b.GetStats().RecycleRing);
        Assert.All(pa, p => Assert.Same(a, p.Pool));
        Assert.Equal(Enumerable.Reverse(pa), TakeBack(a, 5));
        Assert.Equal(Enumerable.Reverse(pb), TakeBack(b, 3));
        a.PutAll(pa.Concat(aCached), allowDirect: true);
        b.PutAll(pb.Concat(bCached), allowDirect: true);
        DestroyAll(a, b);
    }

    [Fact]
    public void A_page_with_another_reference_is_released_and_keeps_its_memory()
    {
        var pool = CreatePool("refcnt");
        var pages = pool.AllocMany(3);
        pages[1].Get();

        PagePool.PutPagesBulk(pages.ToArray());

        var stats = pool.GetStats();
        Assert.Equal(1, stats.RecycleReleasedRefcount);
        Assert.Equal(2, stats.RecycleRing);
        Assert.Null(pages[1].Pool);
        Assert.Equal(1, pages[1].RefCount);
        Assert.True(_allocator.IsLive(pages[1].Address));
        pages[1].Put();
        DestroyAll(pool);
    }

    [Fact]
    public void A_fragment_page_recycles_only_with_its_last_fragment()
    {
        var pool = CreatePool("frag");
        var f1 = pool.AllocFrag(1000, out _)!;
        var f2 = pool.AllocFrag(1000, out _)!;
        Assert.Same(f1, f2);
        var other = pool.AllocPages(AllocFlags.Atomic)!;

        PagePool.PutPagesBulk([f1, other]);
        Assert.Equal(1, pool.GetStats().RecycleRing);

        // The pool still carves the page: the last fragment's put hands it back only once the pool lets go.
        PagePool.PutPagesBulk([f2]);
        Assert.Equal(1, pool.GetStats().RecycleRing);
        DestroyAll(pool);
    }

    [Fact]
    public void What_does_not_fit_the_ring_goes_back_to_the_page_allocator()
    {
        var pool = CreatePool("small", poolSize: 2);
        var pages = pool.AllocMany(5);

        PagePool.PutPagesBulk(pages.ToArray());

        var stats = pool.GetStats();
        Assert.Equal(2, stats.RecycleRing);
        Assert.Equal(3, stats.RecycleRingFull);
        Assert.Equal(PagePool.CacheRefill - 3, pool.Inflight);
        DestroyAll(pool);
    }

    [Fact]
    public void More_than_a_batch_of_one_pool_all_go_to_the_ring()
    {
        var pool = CreatePool("many");
        var pages = pool.AllocMany(200);

        PagePool.PutPagesBulk(pages.ToArray());

        Assert.Equal(200, pool.GetStats().RecycleRing);
        Assert.Equal(0, pool.GetStats().RecycleRingFull);
        DestroyAll(pool);
    }

    [Fact]
    public void In_a_pools_own_poll_its_pages_go_to_the_fast_cache_and_the_others_to_their_rings()
    {
        using var host = new PollHost();
        var local = CreatePool("local", napi: host.Napi);
        var remote = CreatePool("remote");
        var lp = local.AllocMany(4);
        var rp = remote.AllocMany(4);

        host.Run(() => PagePool.PutPagesBulk(lp.Concat(rp).ToArray()));

        Assert.Equal(4, local.GetStats().RecycleCached);
        Assert.Equal(0, local.GetStats().RecycleRing);
        Assert.Equal(0, remote.GetStats().RecycleCached);
        Assert.Equal(4, remote.GetStats().RecycleRing);
        host.Dispose();
        DestroyAll(local, remote);
    }

    [Fact]
    public void A_null_or_released_page_refuses_the_whole_batch()
    {
        var pool = CreatePool("refuse");
        var pages = pool.AllocMany(3);
        pool.ReleasePage(pages[2]);

        Assert.Throws<ArgumentNullException>(() => PagePool.PutPagesBulk([pages[0], null!]));
        var error = Assert.Throws<ArgumentException>(() => PagePool.PutPagesBulk(pages.ToArray()));

        Assert.Contains("pages[2]", error.Message);
        Assert.Equal(0, pool.GetStats().RecycleRing);
        Assert.Equal(PagePool.CacheRefill - 1, pool.Inflight);
        pages[2].Put();
        PagePool.PutPagesBulk(pages.Take(2).ToArray());
        DestroyAll(pool);
    }

    [Fact]
    public void Checked_mode_catches_a_page_twice_in_one_batch()
    {
        var pool = CreatePool("checked", isChecked: true);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        var error = Assert.Throws<InvalidOperationException>(() => PagePool.PutPagesBulk([page, page]));

        Assert.Contains("double put", error.Message);
        Assert.Equal(1, pool.GetStats().RecycleRing);
        DestroyAll(pool);
    }

    [Fact]
    public void An_empty_batch_does_nothing()
    {
        PagePool.PutPagesBulk(ReadOnlySpan<Page>.Empty);
    }

    [Fact]
    public void Batches_put_from_other_threads_while_the_napi_allocates_account_for_every_page()
    {
        const int threads = 2;
        const int rounds = 300;
        const int batch = 64;
        var pools = new[] { CreatePool("s0"), CreatePool("s1") };
        var handed = new System.Collections.Concurrent.BlockingCollection<Page[]>(boundedCapacity: 8);

        var putters = TestThreads.Start(threads, _ =>
        {
            foreach (var pages in handed.GetConsumingEnumerable())
            {
                PagePool.PutPagesBulk(pages);
            }
        });

        // This thread is both pools' only allocator, as a NAPI poll would be.
        for (var r = 0; r < rounds; r++)
        {
            var pages = new Page[batch];
            for (var i = 0; i < batch; i++)
            {
                pages[i] = pools[i % 2].AllocPages(AllocFlags.Atomic) ?? throw new InvalidOperationException("pool ran dry");
            }

            Assert.True(handed.TryAdd(pages, TestThreads.Timeout));
        }

        handed.CompleteAdding();
        putters.Join();
        foreach (var pool in pools)
        {
            var stats = pool.GetStats();
            Assert.Equal(rounds * batch / 2, stats.RecycleRing + stats.RecycleRingFull);
        }

        DestroyAll(pools);
    }
}
