using System;
using System.Collections.Generic;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// <c>page_pool_destroy</c>: cached and ring pages go back at once; the pool is freed when the last inflight page
/// comes back, retrying and warning (stalled shutdown) meanwhile. Time is driven by a manual clock.
/// </summary>
public sealed class DestroyTests : IDisposable
{
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Warn = TimeSpan.FromSeconds(60);

    private readonly CountingPageAllocator _allocator = new();
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingDmaDevice _device = new();
    private readonly List<StalledShutdownEventArgs> _warnings = new();

    public void Dispose()
    {
        Assert.Equal(0, _allocator.LiveBlocks);
        Assert.Equal(0, _allocator.BadFrees);
        Assert.Empty(_device.LiveMappings);
    }

    private PagePool CreatePool(bool dma = false)
    {
        var pool = PagePool.Create(new PagePoolParams
        {
            PageAllocator = _allocator,
            TimeProvider = _time,
            ShutdownRetryPeriod = Retry,
            ShutdownWarnPeriod = Warn,
            Flags = dma ? PagePoolFlags.DmaMap : PagePoolFlags.None,
            Device = dma ? _device : null,
            DmaDirection = DmaDirection.FromDevice,
            Name = "eth0-rx3",
        });
        pool.StalledShutdown += (_, e) => _warnings.Add(e);
        return pool;
    }

    [Fact]
    public void Destroy_returns_cached_and_ring_pages_and_frees_the_pool_when_nothing_is_inflight()
    {
        var pool = CreatePool(dma: true);
        var pages = pool.AllocMany(PagePool.CacheRefill + 10);
        pool.PutAll(pages.GetRange(0, 20), allowDirect: true);
        pool.PutAll(pages.GetRange(20, pages.Count - 20), allowDirect: false);
        Assert.Equal(2 * PagePool.CacheRefill, _allocator.LiveBlocks);

        pool.Destroy();

        Assert.True(pool.IsDestroyed);
        Assert.True(pool.Freed.IsCompletedSuccessfully);
        Assert.Equal(0, pool.Inflight);
        Assert.Equal(0, _allocator.LiveBlocks);
        Assert.Equal(0, _time.CreatedTimers);
        Assert.Empty(_warnings);
    }

    [Fact]
    public void Dispose_destroys_the_pool()
    {
        var pool = CreatePool();
        pool.PutFullPage(pool.AllocPages(AllocFlags.Atomic)!, allowDirect: false);

        pool.Dispose();

        Assert.True(pool.IsDestroyed);
        Assert.True(pool.Freed.IsCompleted);
    }

    [Fact]
    public void With_a_page_inflight_the_pool_is_not_freed_until_it_comes_back()
    {
        var pool = CreatePool(dma: true);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        pool.Destroy();

        Assert.False(pool.Freed.IsCompleted);
        Assert.Equal(1, pool.Inflight);
        Assert.Equal(1, _allocator.LiveBlocks);
        Assert.Empty(_device.LiveMappings); // unmapped at destroy (6.16), though still out
        Assert.Equal(1, _time.ActiveTimers);

        pool.PutFullPage(page, allowDirect: false);

        Assert.True(pool.Freed.IsCompletedSuccessfully);
        Assert.Equal(0, pool.Inflight);
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Fact]
    public void A_page_put_after_destroy_goes_straight_back_to_the_page_allocator()
    {
        var pool = CreatePool();
        var pages = pool.AllocMany(2);
        pool.Destroy();

        pool.RecycleDirect(pages[0]);
        pool.PutFullPage(pages[1], allowDirect: false);

        var stats = pool.GetStats();
        Assert.Equal(0, stats.RecycleCached);
        Assert.Equal(1, stats.RecycleCacheFull);
        Assert.Equal(2, stats.RecycleRingFull);
        Assert.True(pool.Freed.IsCompleted);
    }

    [Fact]
    public void A_stalled_shutdown_warns_every_warn_period_with_the_inflight_count_and_elapsed_time()
    {
        var pool = CreatePool();
        var pages = pool.AllocMany(2);
        pool.Destroy();

        _time.Advance(Warn - Retry);
        Assert.Empty(_warnings);

        _time.Advance(Retry);
        var first = Assert.Single(_warnings);
        Assert.Equal(2, first.Inflight);
        Assert.Equal(Warn, first.Elapsed);
        Assert.Equal("eth0-rx3", first.PoolName);
        Assert.Contains("stalled pool shutdown, 2 inflight 60 sec", first.ToString());
        Assert.Empty(first.AllocationStacks); // unchecked pools keep no stacks

        pool.PutFullPage(pages[0], allowDirect: false);
        _time.Advance(Warn);
        Assert.Equal(2, _warnings.Count);
        Assert.Equal(1, _warnings[1].Inflight);
        Assert.Equal(2 * Warn, _warnings[1].Elapsed);

        pool.PutFullPage(pages[1], allowDirect: false);
        Assert.True(pool.Freed.IsCompleted);
        _time.Advance(10 * Warn);
        Assert.Equal(2, _warnings.Count);
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Fact]
    public void Pages_that_leave_the_pool_without_a_put_after_destroy_free_it_at_once()
    {
        var pool = CreatePool();
        var released = pool.AllocPages(AllocFlags.Atomic)!;
        var dropped = pool.AllocPages(AllocFlags.Atomic)!;
        pool.Destroy();

        pool.ReleasePage(released);
        Assert.False(pool.Freed.IsCompleted);
        dropped.Put(); // the last reference of a never-released page ends its accounting, and was the last one out

        Assert.Equal(0, pool.Inflight);
        Assert.True(pool.Freed.IsCompletedSuccessfully);
        _time.Advance(Retry);
        Assert.Equal(0, _time.ActiveTimers);
        Assert.Empty(_warnings);
        released.Put();
    }

    [Fact]
    public void Releasing_a_shared_page_after_destroy_frees_the_pool_at_once()
    {
        var pool = CreatePool(dma: true);
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        page.Get();
        pool.Destroy();

        pool.PutFullPage(page, allowDirect: false);

        Assert.True(pool.Freed.IsCompleted);
        Assert.Equal(1, _allocator.LiveBlocks); // the other holder's memory lives on
        page.Put();
    }

    [Fact]
    public void Destroying_twice_is_harmless()
    {
        var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        pool.Destroy();
        pool.Destroy();
        pool.Dispose();

        Assert.Equal(1, _time.CreatedTimers);
        Assert.False(pool.Freed.IsCompleted);
        pool.PutFullPage(page, allowDirect: false);
        Assert.True(pool.Freed.IsCompleted);
        pool.Destroy();
        Assert.True(pool.Freed.IsCompletedSuccessfully);
    }

    [Fact]
    public void The_default_periods_are_the_kernels_1_s_retry_and_60_s_warning()
    {
        var defaults = new PagePoolParams();
        Assert.Equal(TimeSpan.FromSeconds(1), defaults.ShutdownRetryPeriod);
        Assert.Equal(TimeSpan.FromSeconds(60), defaults.ShutdownWarnPeriod);
    }

    [Fact]
    public void Warning_and_retry_periods_are_configurable()
    {
        var pool = PagePool.Create(new PagePoolParams
        {
            PageAllocator = _allocator,
            TimeProvider = _time,
            ShutdownRetryPeriod = TimeSpan.FromMilliseconds(5),
            ShutdownWarnPeriod = TimeSpan.FromMilliseconds(20),
        });
        var warnings = new List<TimeSpan>();
        pool.StalledShutdown += (_, e) => warnings.Add(e.Elapsed);
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.Destroy();

        _time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal(new[] { 20, 40, 60, 80, 100 }, warnings.ConvertAll(e => (int)e.TotalMilliseconds));
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void A_pool_registered_as_an_XDP_memory_model_lives_on_after_destroy_until_unregistered()
    {
        var pool = CreatePool();
        var dev = new NetDevice("eth0", 1, 1);
        var rxq = new XdpRxQueueInfo();
        rxq.Register(dev, 0);
        rxq.RegisterMemoryModel(MemoryModelType.PagePool, pool);

        pool.Destroy();

        Assert.False(pool.IsDestroyed);
        var page = pool.AllocPages(AllocFlags.Atomic)!; // still serving the queue
        pool.RecycleDirect(page);

        rxq.Unregister();

        Assert.True(pool.IsDestroyed);
        Assert.True(pool.Freed.IsCompleted);
    }
}
