using System;
using System.Linq;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// <c>PagePool.Live</c>, the kernel's <c>page-pool-get</c> view: every pool not yet freed, with its id, name, device,
/// queue, NAPI, inflight pages and bytes, and when it was destroyed; a destroyed pool stays until its last page is back.
/// </summary>
public sealed class LiveTests
{
    private static PagePoolInfo? Find(PagePool pool) => PagePool.Live.Where(i => i.Id == pool.Id).Cast<PagePoolInfo?>().SingleOrDefault();

    [Fact]
    public void A_new_pool_shows_with_its_name_napi_and_inflight_pages_and_bytes()
    {
        var napi = new Napi(new NetDevice("live0", 1, 1), (_, _) => 0) { Name = "live0-napi" };
        var pool = PagePool.Create(new PagePoolParams { Name = "live-new", Napi = napi, Order = 2 });
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        var info = Find(pool);

        Assert.NotNull(info);
        Assert.Equal(new PagePoolInfo(pool.Id, "live-new", null, null, "live0-napi", 1, 16384, null), info);
        pool.RecycleDirect(page);
        pool.Destroy();
    }

    [Fact]
    public void Ids_are_unique_and_increase_in_creation_order()
    {
        var first = PagePool.Create(new PagePoolParams { Name = "live-id1" });
        var second = PagePool.Create(new PagePoolParams { Name = "live-id2" });

        Assert.True(second.Id > first.Id);
        Assert.True(first.Id > 0);
        var live = PagePool.Live.Select(i => i.Id).ToList();
        Assert.True(live.IndexOf(first.Id) < live.IndexOf(second.Id));
        first.Destroy();
        second.Destroy();
    }

    [Fact]
    public void A_registered_pool_shows_its_device_and_queue_and_keeps_them_after_unregistering()
    {
        var dev = new NetDevice("live1", 4, 4);
        var pool = PagePool.Create(new PagePoolParams { Name = "live-rxq" });
        var rxq = new XdpRxQueueInfo();
        rxq.Register(dev, 3);
        rxq.RegisterMemoryModel(MemoryModelType.PagePool, pool);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        Assert.Equal(("live1", (int?)3), (Find(pool)!.Value.Device, Find(pool)!.Value.Queue));
        rxq.Unregister();
        pool.Destroy();

        // The queue is gone, but a pool still waiting for pages says what it served.
        Assert.Equal(("live1", (int?)3), (Find(pool)!.Value.Device, Find(pool)!.Value.Queue));
        pool.PutFullPage(page, allowDirect: false);
        Assert.Null(Find(pool));
    }

    [Fact]
    public void A_destroyed_pool_stays_with_its_destroy_time_until_its_last_page_comes_back()
    {
        var time = new FakeTimeProvider();
        time.Advance(TimeSpan.FromMinutes(5));
        var pool = PagePool.Create(new PagePoolParams { Name = "live-destroyed", TimeProvider = time });
        var pages = pool.AllocMany(2);
        Assert.Null(Find(pool)!.Value.DestroyedAt);

        pool.Destroy();

        var info = Find(pool)!.Value;
        Assert.Equal(time.GetUtcNow(), info.DestroyedAt);
        Assert.Equal(2, info.Inflight);
        Assert.Equal(2 * PageAllocator.PageSize, info.InflightBytes);
        pool.PutFullPage(pages[0], allowDirect: false);
        Assert.Equal(1, Find(pool)!.Value.Inflight);
        pages[1].Put();
        Assert.True(pool.Freed.IsCompletedSuccessfully);
        Assert.Null(Find(pool));
    }

    [Fact]
    public void A_pool_destroyed_with_nothing_out_leaves_at_once()
    {
        var pool = PagePool.Create(new PagePoolParams { Name = "live-clean" });
        pool.PutAll(pool.AllocMany(3), allowDirect: true);
        Assert.NotNull(Find(pool));

        pool.Destroy();

        Assert.Null(Find(pool));
    }
}
