using System;
using System.Linq;
using System.Threading;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// Destroy unmaps what is still out (kernel 6.16): every inflight page is unmapped at <c>Destroy</c>, so the device
/// may go away; a later put or release of such a page frees it without calling the device again.
/// </summary>
public sealed class DestroyUnmapTests : IDisposable
{
    private readonly CountingPageAllocator _allocator = new();
    private readonly RemovableDmaDevice _device = new();
    private readonly FakeTimeProvider _time = new();

    public void Dispose()
    {
        Assert.Equal(0, _allocator.LiveBlocks);
        Assert.Equal(0, _allocator.BadFrees);
        Assert.Equal(0, _device.CallsAfterRemoval);
    }

    private PagePool CreatePool(bool isChecked = false) => PagePool.Create(new PagePoolParams
    {
        PageAllocator = _allocator,
        Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
        Device = _device,
        DmaDirection = DmaDirection.FromDevice,
        MaxLength = 1500,
        TimeProvider = _time,
        Checked = isChecked,
        Name = "unmap",
    });

    [Fact]
    public void Destroy_unmaps_every_inflight_page_at_once()
    {
        var pool = CreatePool();
        var pages = pool.AllocMany(10);
        pool.PutAll(pages.Take(3), allowDirect: false);

        pool.Destroy();

        Assert.Empty(_device.Checker.LiveMappings);
        Assert.Equal(_device.Checker.MapCount, _device.Checker.UnmapCount);
        Assert.Equal(7, pool.Inflight);
        Assert.False(pool.Freed.IsCompleted);
        pool.PutAll(pages.Skip(3), allowDirect: false);
        Assert.True(pool.Freed.IsCompletedSuccessfully);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_way_a_page_comes_back_after_destroy_frees_it_without_calling_the_removed_device(bool isChecked)
    {
        var pool = CreatePool(isChecked);
        var pages = pool.AllocMany(8);
        pages[3].Get();
        pool.Destroy();
        _device.Remove();

        pool.PutFullPage(pages[0], allowDirect: false);
        pool.PutPage(pages[1], 64, allowDirect: false);
        pool.ReleasePage(pages[2]);
        pages[2].Put();
        pool.PutFullPage(pages[3], allowDirect: false); // two references: released, one dropped
        pages[3].Put();
        pages[4].Put(); // the last reference of a page never given back
        pool.RecycleDirect(pages[5]);
        PagePool.PutPagesBulk(pages.Skip(6).ToArray());

        Assert.Equal(0, _device.CallsAfterRemoval);
        Assert.Equal(0, pool.Inflight);
        Assert.True(pool.Freed.IsCompletedSuccessfully);
    }

    [Fact]
    public void A_page_in_the_ring_after_destroy_is_freed_at_the_retry_without_the_device()
    {
        var pool = CreatePool();
        var pages = pool.AllocMany(2);
        pool.Destroy();
        _device.Remove();

        pool.PutFullPage(pages[0], allowDirect: false);
        pages[1].Put();
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0, _device.CallsAfterRemoval);
        Assert.True(pool.Freed.IsCompletedSuccessfully);
    }

    [Fact]
    public void Destroy_waits_for_a_put_that_is_syncing_the_page_before_unmapping_it()
    {
        var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        var address = pool.GetDmaAddress(page);
        _device.HoldSyncs();
        var put = TestThreads.Start(1, _ => pool.PutFullPage(page, allowDirect: false));
        Assert.True(_device.SyncEntered.Wait(TestThreads.Timeout));

        var destroy = new Thread(pool.Destroy) { IsBackground = true };
        destroy.Start();

        // The sync still sees its mapping: Destroy has not unmapped the page under it.
        Assert.False(destroy.Join(TimeSpan.FromMilliseconds(200)));
        Assert.Contains(_device.Checker.LiveMappings, m => m.Address == address);
        _device.ReleaseSyncs();
        put.Join();
        Assert.True(destroy.Join(TestThreads.Timeout));
        Assert.Empty(_device.Checker.LiveMappings);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(pool.Freed.IsCompletedSuccessfully);
    }

    [Fact]
    public void Pages_mapped_and_unmapped_in_any_order_leave_no_mapping_behind()
    {
        var pool = CreatePool();
        for (var round = 0; round < 4; round++)
        {
            var pages = pool.AllocMany(PagePool.CacheSize + 40);
            foreach (var (page, i) in pages.Select((p, i) => (p, i)))
            {
                if (i % 3 == 0)
                {
                    pool.ReleasePage(page);
                    page.Put();
                }
                else
                {
                    pool.PutFullPage(page, allowDirect: i % 3 == 1);
                }
            }
        }

        var live = pool.AllocMany(5);
        Assert.Equal(pool.Inflight, _device.Checker.LiveMappings.Count);
        pool.Destroy();
        Assert.Empty(_device.Checker.LiveMappings);
        pool.PutAll(live, allowDirect: false);
        Assert.True(pool.Freed.IsCompletedSuccessfully);
    }
}
