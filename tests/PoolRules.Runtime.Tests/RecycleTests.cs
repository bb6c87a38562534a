using System;
using System.Linq;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// <c>page_pool_put_page</c> and friends: a page with one reference is synced and recycled (fast cache when
/// direct, else ring, else freed); a page with more references is released and one reference dropped.
/// </summary>
public sealed class RecycleTests : IDisposable
{
    private const int Offset = 256;
    private const int MaxLength = 1536;

    private readonly CountingPageAllocator _allocator = new();
    private readonly RecordingDmaDevice _device = new();

    public void Dispose()
    {
        Assert.Equal(0, _allocator.LiveBlocks);
        Assert.Equal(0, _allocator.BadFrees);
        Assert.Empty(_device.LiveMappings);
    }

    private PagePool CreatePool(int poolSize = 0, bool dma = false) => PagePool.Create(new PagePoolParams
    {
        PoolSize = poolSize,
        PageAllocator = _allocator,
        Flags = dma ? PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice : PagePoolFlags.None,
        Device = dma ? _device : null,
        DmaDirection = DmaDirection.FromDevice,
        Offset = dma ? Offset : 0,
        MaxLength = dma ? MaxLength : 0,
        Name = "recycle",
    });

    [Fact]
    public void RecycleDirect_puts_the_page_in_the_fast_cache_and_the_next_allocation_returns_it()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        pool.RecycleDirect(page);
        var again = pool.AllocPages(AllocFlags.Atomic)!;

        Assert.Same(page, again);
        var stats = pool.GetStats();
        Assert.Equal(1, stats.RecycleCached);
        Assert.Equal(0, stats.RecycleRing);
        Assert.Equal(1, stats.AllocFast);
        pool.RecycleDirect(again);
    }

    [Fact]
    public void PutPage_with_allowDirect_false_goes_to_the_ring_and_comes_back_through_a_refill()
    {
        using var pool = CreatePool();
        var pages = pool.AllocMany(PagePool.CacheRefill);
        var returned = pages[17];

        pool.PutPage(returned, -1, allowDirect: false);
        Assert.Equal(1, pool.GetStats().RecycleRing);
        Assert.Equal(0, pool.GetStats().RecycleCached);

        var again = pool.AllocPages(AllocFlags.Atomic)!;
        Assert.Same(returned, again);
        Assert.Equal(1, pool.GetStats().AllocRefill);
        pages[17] = again;
        pool.PutAll(pages, allowDirect: false);
    }

    [Fact]
    public void A_direct_put_into_a_full_fast_cache_counts_cache_full_and_goes_to_the_ring()
    {
        using var pool = CreatePool();
        var pages = pool.AllocMany(PagePool.CacheSize + PagePool.CacheRefill);
        foreach (var page in pages.Take(PagePool.CacheSize))
        {
            pool.RecycleDirect(page);
        }

        Assert.Equal(PagePool.CacheSize, pool.GetStats().RecycleCached);
        Assert.Equal(0, pool.GetStats().RecycleCacheFull);

        pool.RecycleDirect(pages[PagePool.CacheSize]);
        var stats = pool.GetStats();
        Assert.Equal(PagePool.CacheSize, stats.RecycleCached);
        Assert.Equal(1, stats.RecycleCacheFull);
        Assert.Equal(1, stats.RecycleRing);
        pool.PutAll(pages.Skip(PagePool.CacheSize + 1), allowDirect: false);
    }

    [Fact]
    public void A_put_into_a_full_ring_counts_ring_full_and_frees_the_page()
    {
        using var pool = CreatePool(poolSize: 2);
        var pages = pool.AllocMany(3);
        var inflight = pool.Inflight;
        var victim = pages[2].Address;

        pool.PutPage(pages[0], -1, allowDirect: false);
        pool.PutPage(pages[1], -1, allowDirect: false);
        pool.PutPage(pages[2], -1, allowDirect: false);

        var stats = pool.GetStats();
        Assert.Equal(2, stats.RecycleRing);
        Assert.Equal(1, stats.RecycleRingFull);
        Assert.Equal(inflight - 1, pool.Inflight);
        Assert.False(_allocator.IsLive(victim));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Putting_a_page_with_two_references_releases_it_unmaps_it_and_drops_one_reference(bool allowDirect)
    {
        using var pool = CreatePool(dma: true);
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        var address = page.Address;
        var dmaAddress = pool.GetDmaAddress(page);
        var inflight = pool.Inflight;
        page.Get();
        Assert.Equal(2, page.RefCount);
        _device.ClearSyncs();

        pool.PutPage(page, -1, allowDirect);

        Assert.Equal(1, page.RefCount);
        Assert.Null(page.Pool);
        Assert.Equal(inflight - 1, pool.Inflight);
        Assert.DoesNotContain(_device.LiveMappings, m => m.Address == dmaAddress);
        Assert.Empty(_device.Syncs); // a released page is not synced: the device will not see it again
        var stats = pool.GetStats();
        Assert.Equal(1, stats.RecycleReleasedRefcount);
        Assert.Equal(0, stats.RecycleRing);
        Assert.Equal(0, stats.RecycleCached);

        // The remaining holder still owns live memory until its own put frees it.
        Assert.True(_allocator.IsLive(address));
        page.Span[0] = 1;
        page.Put();
        Assert.False(_allocator.IsLive(address));
        Assert.Equal(0, page.RefCount);
    }

    [Fact]
    public void A_direct_put_of_a_shared_page_into_a_plain_pool_releases_it_instead_of_caching_it()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        page.Get();

        pool.RecycleDirect(page);

        Assert.Equal(1, pool.GetStats().RecycleReleasedRefcount);
        Assert.Equal(0, pool.GetStats().RecycleCached);
        Assert.Null(page.Pool);
        var next = pool.AllocPages(AllocFlags.Atomic)!;
        Assert.NotSame(page, next);
        pool.RecycleDirect(next);
        page.Put();
    }

    [Fact]
    public void ReleasePage_takes_the_page_out_of_the_pool_and_the_callers_Put_frees_it()
    {
        using var pool = CreatePool(dma: true);
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        var address = page.Address;
        var dmaAddress = pool.GetDmaAddress(page);
        var inflight = pool.Inflight;

        pool.ReleasePage(page);

        Assert.Null(page.Pool);
        Assert.Equal(1, page.RefCount);
        Assert.Equal(inflight - 1, pool.Inflight);
        Assert.DoesNotContain(_device.LiveMappings, m => m.Address == dmaAddress);
        Assert.True(_allocator.IsLive(address));
        page.Span.Fill(7); // still the caller's until its put

        page.Put();
        Assert.False(_allocator.IsLive(address));
        Assert.Equal(inflight - 1, pool.Inflight);
    }

    [Fact]
    public void Dropping_the_last_reference_of_an_unreleased_pool_page_ends_its_accounting()
    {
        using var pool = CreatePool(dma: true);
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        var address = page.Address;
        var inflight = pool.Inflight;

        page.Put();

        Assert.Equal(inflight - 1, pool.Inflight);
        Assert.False(_allocator.IsLive(address));
        Assert.Equal(pool.Inflight, _device.LiveMappings.Count);
    }

    [Fact]
    public void Page_Put_beyond_the_last_reference_throws()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.ReleasePage(page);
        page.Get();
        page.Put();
        page.Put();

        // Unchecked pools do not track state, but the descriptor is freed: a third put is refused.
        Assert.Throws<InvalidOperationException>(page.Put);
    }

    [Fact]
    public void PutFullPage_syncs_MaxLength_bytes_from_Offset_for_the_device()
    {
        using var pool = CreatePool(dma: true);
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        var dmaAddress = pool.GetDmaAddress(page);
        _device.ClearSyncs();

        pool.PutFullPage(page, allowDirect: false);

        var sync = Assert.Single(_device.Syncs);
        Assert.Equal(new SyncCall(dmaAddress, Offset, MaxLength, DmaDirection.FromDevice), sync);
    }

    [Theory]
    [InlineData(100, 100)]
    [InlineData(0, 0)]
    [InlineData(MaxLength, MaxLength)]
    [InlineData(MaxLength + 1, MaxLength)]
    [InlineData(-1, MaxLength)]
    public void PutPage_syncs_dmaSyncSize_bytes_capped_at_MaxLength(int dmaSyncSize, int synced)
    {
        using var pool = CreatePool(dma: true);
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        _device.ClearSyncs();

        pool.PutPage(page, dmaSyncSize, allowDirect: true);

        var sync = Assert.Single(_device.Syncs);
        Assert.Equal(synced, sync.Length);
        Assert.Equal(Offset, sync.Offset);
    }

    [Fact]
    public void Pages_fresh_from_the_allocator_are_synced_for_the_device_over_MaxLength()
    {
        using var pool = CreatePool(dma: true);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        // One bulk of 64 pages, each mapped and synced once as it entered the pool.
        Assert.Equal(PagePool.CacheRefill, _device.Syncs.Count);
        Assert.All(_device.Syncs, s => Assert.Equal((Offset, MaxLength), (s.Offset, s.Length)));
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void A_pool_without_DmaSyncDevice_never_syncs()
    {
        using var pool = PagePool.Create(new PagePoolParams
        {
            Flags = PagePoolFlags.DmaMap,
            Device = _device,
            DmaDirection = DmaDirection.Bidirectional,
            PageAllocator = _allocator,
        });
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.RecycleDirect(page);
        page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.PutFullPage(page, allowDirect: false);

        Assert.Empty(_device.Syncs);
    }

    [Fact]
    public void A_recycled_page_keeps_its_mapping_and_is_not_mapped_again()
    {
        using var pool = CreatePool(dma: true);
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        var dmaAddress = pool.GetDmaAddress(page);
        var maps = _device.Checker.MapCount;

        for (var i = 0; i < 1000; i++)
        {
            pool.RecycleDirect(page);
            page = pool.AllocPages(AllocFlags.Atomic)!;
            pool.PutFullPage(page, allowDirect: false);
            page = pool.AllocPages(AllocFlags.Atomic)!;
        }

        Assert.Equal(maps, _device.Checker.MapCount);
        Assert.Equal(0, _device.Checker.UnmapCount);
        Assert.Equal(PagePool.CacheRefill, _device.LiveMappings.Count);
        Assert.Contains(_device.LiveMappings, m => m.Address == pool.GetDmaAddress(page));
        Assert.NotEqual(0UL, dmaAddress);
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void Recycling_allocates_nothing_new_in_steady_state()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.RecycleDirect(page);
        var calls = _allocator.AllocCalls;

        for (var i = 0; i < 10_000; i++)
        {
            page = pool.AllocPages(AllocFlags.Atomic)!;
            pool.RecycleDirect(page);
        }

        Assert.Equal(calls, _allocator.AllocCalls);
        Assert.Equal(10_000, pool.GetStats().AllocFast);
    }

    [Fact]
    public void Steady_state_allocation_and_recycling_allocate_nothing_on_the_GC_heap()
    {
        using var pool = PagePool.Create(new PagePoolParams
        {
            Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
            Device = IdentityDmaDevice.Instance, // the recording device allocates; this one does not
            DmaDirection = DmaDirection.FromDevice,
            MaxLength = MaxLength,
            PageAllocator = _allocator,
        });
        var pages = new Page[PagePool.CacheRefill];

        void Cycle()
        {
            // Fast path: alloc + recycle direct; ring path: put to the ring, refill from it.
            for (var i = 0; i < 100; i++)
            {
                pool.RecycleDirect(pool.AllocPages(AllocFlags.Atomic)!);
            }

            for (var i = 0; i < pages.Length; i++)
            {
                pages[i] = pool.AllocPages(AllocFlags.Atomic)!;
            }

            foreach (var page in pages)
            {
                pool.PutPage(page, 128, allowDirect: false);
            }

            _ = pool.GetStats();
        }

        for (var warm = 0; warm < 50; warm++)
        {
            Cycle();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 200; round++)
        {
            Cycle();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Putting_a_null_page_throws()
    {
        using var pool = CreatePool();
        Assert.Throws<ArgumentNullException>(() => pool.PutPage(null!, -1, allowDirect: false));
        Assert.Throws<ArgumentNullException>(() => pool.ReleasePage(null!));
    }
}
