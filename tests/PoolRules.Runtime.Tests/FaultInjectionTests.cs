using System;
using System.Collections.Generic;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// Failures below the pool: a page allocator that runs dry makes AllocPages return null; a device that refuses a
/// mapping surfaces its exception. Either way no page, byte or mapping leaks and Inflight stays exact.
/// </summary>
public sealed class FaultInjectionTests : IDisposable
{
    private readonly CountingPageAllocator _allocator = new();
    private readonly RecordingDmaDevice _device = new();

    public void Dispose()
    {
        Assert.Equal(0, _allocator.LiveBlocks);
        Assert.Equal(0, _allocator.LiveBytes);
        Assert.Equal(0, _allocator.BadFrees);
        Assert.Empty(_device.LiveMappings);
    }

    private PagePool CreatePool(int order = 0, bool dma = false, bool isChecked = false) => PagePool.Create(new PagePoolParams
    {
        Order = order,
        PageAllocator = _allocator,
        Checked = isChecked,
        Flags = dma ? PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice : PagePoolFlags.None,
        Device = dma ? _device : null,
        DmaDirection = DmaDirection.FromDevice,
        MaxLength = dma ? 2048 : 0,
    });

    // With every page back in the pool's caches or with the test, the pool holds exactly the live blocks.
    private void AssertConsistent(PagePool pool, int releasedButLive = 0)
    {
        Assert.Equal(_allocator.LiveBlocks - releasedButLive, pool.Inflight);
        if (_device.Checker.MapCount > 0)
        {
            Assert.Equal(pool.Inflight, _device.LiveMappings.Count);
        }
    }

    [Fact]
    public void When_the_page_allocator_has_nothing_AllocPages_returns_null_and_counts_nothing_as_allocated()
    {
        using var pool = CreatePool();
        _allocator.FailAll = true;

        Assert.Null(pool.AllocPages(AllocFlags.Atomic));
        Assert.Null(pool.DevAllocPages());

        var stats = pool.GetStats();
        Assert.Equal(0, stats.AllocSlow);
        Assert.Equal(0, stats.AllocFast);
        Assert.Equal(2, stats.AllocEmpty);
        Assert.Equal(0, pool.Inflight);
        Assert.Equal(0, _allocator.LiveBlocks);
    }

    [Fact]
    public void The_pool_recovers_once_the_page_allocator_has_pages_again()
    {
        using var pool = CreatePool();
        _allocator.FailAll = true;
        Assert.Null(pool.AllocPages(AllocFlags.Atomic));

        _allocator.FailAll = false;
        var page = pool.AllocPages(AllocFlags.Atomic);

        Assert.NotNull(page);
        Assert.Equal(1, pool.GetStats().AllocSlow);
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void A_failure_in_the_middle_of_a_bulk_keeps_the_pages_got_before_it()
    {
        using var pool = CreatePool();
        _allocator.FailEvery = 10;

        var pages = pool.AllocMany(9);

        Assert.Equal(10, _allocator.AllocCalls); // the bulk stopped at the failure
        Assert.Equal(9, pool.Inflight);
        Assert.Equal(1, pool.GetStats().AllocSlow);
        Assert.Equal(8, pool.GetStats().AllocFast);
        AssertConsistent(pool);
        pool.PutAll(pages, allowDirect: false);
    }

    [Fact]
    public void A_high_order_pool_returns_null_on_every_failing_allocation_and_leaks_nothing()
    {
        using var pool = CreatePool(order: 3);
        _allocator.FailEvery = 3;
        var pages = new List<Page>();
        var nulls = 0;

        for (var i = 0; i < 30; i++)
        {
            var page = pool.AllocPages(AllocFlags.Atomic);
            if (page is null)
            {
                nulls++;
                continue;
            }

            pages.Add(page);
            AssertConsistent(pool);
        }

        Assert.Equal(10, nulls);
        Assert.Equal(20, pool.GetStats().AllocSlowHighOrder);
        Assert.Equal(20L * (4096 << 3), _allocator.LiveBytes);
        pool.PutAll(pages, allowDirect: false);
    }

    [Fact]
    public void An_allocator_failing_every_kth_call_under_churn_leaves_inflight_exact_and_nothing_behind()
    {
        var pool = CreatePool(dma: true);
        _allocator.FailEvery = 7;
        var held = new List<Page>();
        var random = new Random(1234);

        for (var i = 0; i < 5000; i++)
        {
            if (held.Count < 300 && random.Next(3) != 0)
            {
                if (pool.AllocPages(AllocFlags.Atomic) is { } page)
                {
                    held.Add(page);
                }
            }
            else if (held.Count > 0)
            {
                var index = random.Next(held.Count);
                pool.PutFullPage(held[index], allowDirect: random.Next(2) == 0);
                held.RemoveAt(index);
            }
        }

        AssertConsistent(pool);
        Assert.True(_allocator.Failures > 0);
        pool.PutAll(held, allowDirect: false);
        pool.Destroy();
        Assert.True(pool.Freed.IsCompleted);
    }

    [Fact]
    public void When_the_device_refuses_every_mapping_AllocPages_returns_null_and_leaves_nothing_inflight()
    {
        using var pool = CreatePool(dma: true);
        _device.FailMapEvery = 1;

        Assert.Null(pool.AllocPages(AllocFlags.Atomic));

        Assert.Equal(0, pool.Inflight);
        Assert.Equal(0, _allocator.LiveBlocks);
        Assert.Empty(_device.LiveMappings);
        var stats = pool.GetStats();
        Assert.Equal(0, stats.AllocSlow);
        Assert.Equal(PagePool.CacheRefill, stats.AllocMapFailed);
    }

    [Fact]
    public void A_mapping_failure_in_the_middle_of_a_bulk_frees_that_page_and_keeps_the_rest()
    {
        using var pool = CreatePool(dma: true);
        _device.FailMapEvery = 5;

        var page = pool.AllocPages(AllocFlags.Atomic);

        // Of the bulk of 64, every fifth mapping failed: those 12 blocks were freed, the other 52 mapped.
        Assert.NotNull(page);
        var failed = PagePool.CacheRefill / 5;
        Assert.Equal(failed, pool.GetStats().AllocMapFailed);
        Assert.Equal(PagePool.CacheRefill - failed, pool.Inflight);
        AssertConsistent(pool);
        Assert.Equal(1, pool.GetStats().AllocSlow);
        pool.PutFullPage(page, allowDirect: true);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(0, true)]
    [InlineData(2, false)]
    public void A_device_refusing_every_kth_mapping_under_churn_leaks_no_page_byte_or_mapping(int order, bool isChecked)
    {
        var pool = CreatePool(order, dma: true, isChecked: isChecked);
        _device.FailMapEvery = 9;
        var held = new List<Page>();
        var nulls = 0;
        var random = new Random(42);

        for (var i = 0; i < 3000; i++)
        {
            if (held.Count < 200 && random.Next(3) != 0)
            {
                if (pool.AllocPages(AllocFlags.Atomic) is { } page)
                {
                    held.Add(page);
                }
                else
                {
                    nulls++;
                }
            }
            else if (held.Count > 0)
            {
                var index = random.Next(held.Count);
                pool.PutFullPage(held[index], allowDirect: random.Next(2) == 0);
                held.RemoveAt(index);
            }

            if (i % 100 == 0)
            {
                AssertConsistent(pool);
            }
        }

        Assert.Equal(_device.MapFailures, pool.GetStats().AllocMapFailed);
        Assert.True(_device.MapFailures > 0);

        // Order 0 skips a failed page inside its bulk of 64; a high-order allocation has no other page to give.
        Assert.Equal(order == 0 ? 0 : _device.MapFailures, nulls);
        Assert.Equal(held.Count, new HashSet<Page>(held).Count);
        pool.PutAll(held, allowDirect: false);
        pool.Destroy();
        Assert.True(pool.Freed.IsCompleted);
        Assert.Equal(_device.Checker.MapCount, _device.Checker.UnmapCount);
    }

    [Fact]
    public void A_device_failing_the_first_sync_unmaps_and_frees_the_new_page()
    {
        using var pool = CreatePool(order: 1, dma: true);
        _device.FailSync = true;

        Assert.Null(pool.AllocPages(AllocFlags.Atomic));

        Assert.Equal(0, pool.Inflight);
        Assert.Equal(0, _allocator.LiveBlocks);
        Assert.Empty(_device.LiveMappings);
        Assert.Equal(1, _device.Checker.UnmapCount);
        Assert.Equal(1, pool.GetStats().AllocMapFailed);
        _device.FailSync = false;
    }

    [Fact]
    public void Fragments_under_allocator_failures_still_recycle_each_page_once_all_its_fragments_are_back()
    {
        var pool = CreatePool();
        var held = new List<Page>();
        _allocator.FailEvery = 5;
        var random = new Random(7);

        for (var i = 0; i < 4000; i++)
        {
            if (held.Count < 100 && random.Next(2) == 0)
            {
                if (pool.AllocFrag(random.Next(1, 1500), out var offset) is { } frag)
                {
                    Assert.InRange(offset, 0, 4095);
                    held.Add(frag);
                }
            }
            else if (held.Count > 0)
            {
                var index = random.Next(held.Count);
                pool.PutFullPage(held[index], allowDirect: true);
                held.RemoveAt(index);
            }
        }

        pool.PutAll(held, allowDirect: false);
        pool.Destroy();
        Assert.True(pool.Freed.IsCompleted);
        Assert.Equal(0, pool.Inflight);
    }
}
