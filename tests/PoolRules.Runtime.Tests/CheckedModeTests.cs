using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// Checked mode: the run-time twin of the analyzers. Double put, foreign pool, direct recycle off the NAPI thread
/// and use after put throw with a clear message; put pages are poisoned; leaks at destroy carry allocation stacks.
/// </summary>
public sealed class CheckedModeTests : IDisposable
{
    private readonly CountingPageAllocator _allocator = new();
    private readonly FakeTimeProvider _time = new();
    private readonly NetDevice _dev = new("eth0", 2, 2);

    public void Dispose()
    {
        Assert.Equal(0, _allocator.LiveBlocks);
        Assert.Equal(0, _allocator.BadFrees);
    }

    private PagePool CreatePool(string name = "checked", Napi? napi = null, int poolSize = 0, IDmaDevice? device = null) => PagePool.Create(new PagePoolParams
    {
        Checked = true,
        Name = name,
        Napi = napi,
        PoolSize = poolSize,
        PageAllocator = _allocator,
        TimeProvider = _time,
        Flags = device is null ? PagePoolFlags.None : PagePoolFlags.DmaMap,
        Device = device,
        DmaDirection = DmaDirection.FromDevice,
    });

    [Fact]
    public void A_double_put_throws_naming_the_pool()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.PutFullPage(page, allowDirect: false);

        var ex = Assert.Throws<InvalidOperationException>(() => pool.PutFullPage(page, allowDirect: false));
        Assert.Contains("double put", ex.Message);
        Assert.Contains("'checked'", ex.Message);
        Assert.Equal(1, pool.GetStats().RecycleRing); // the second put changed nothing
    }

    [Fact]
    public void A_double_direct_recycle_throws()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.RecycleDirect(page);

        var ex = Assert.Throws<InvalidOperationException>(() => pool.RecycleDirect(page));
        Assert.Contains("double put", ex.Message);
        Assert.Equal(1, pool.GetStats().RecycleCached);
    }

    [Fact]
    public void Putting_a_freed_page_throws_use_after_free()
    {
        using var pool = CreatePool(poolSize: 2);
        var pages = pool.AllocMany(3);
        pool.PutAll(pages, allowDirect: false); // the third finds the ring full: freed

        var ex = Assert.Throws<InvalidOperationException>(() => pool.PutFullPage(pages[2], allowDirect: false));
        Assert.Equal(1, pool.GetStats().RecycleRingFull);
        Assert.Contains("freed", ex.Message);
    }

    [Fact]
    public void Putting_a_page_to_another_pool_throws_naming_both_pools()
    {
        using var owner = CreatePool("rx0");
        using var other = CreatePool("rx1");
        var page = owner.AllocPages(AllocFlags.Atomic)!;

        var ex = Assert.Throws<InvalidOperationException>(() => other.PutFullPage(page, allowDirect: false));

        Assert.Contains("belongs to page pool 'rx0', not 'rx1'", ex.Message);
        Assert.Same(owner, page.Pool);
        owner.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void Putting_a_released_page_back_to_the_pool_throws()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.ReleasePage(page);

        var ex = Assert.Throws<InvalidOperationException>(() => pool.PutFullPage(page, allowDirect: false));
        Assert.Contains("does not belong", ex.Message);
        Assert.Throws<InvalidOperationException>(() => pool.ReleasePage(page));
        page.Put();
    }

    [Fact]
    public void A_released_page_stays_usable_until_its_Put()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.ReleasePage(page);

        page.Span.Fill(1);
        page.Get();
        page.Put();
        page.Put();

        Assert.Throws<InvalidOperationException>(() => page.Span.Length);
    }

    [Fact]
    public void RecycleDirect_off_the_pools_NAPI_thread_throws_and_suggests_the_ring()
    {
        var napi = new Napi(_dev, (_, _) => 0) { Name = "eth0-rx0" };
        using var pool = CreatePool(napi: napi);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        var ex = Assert.Throws<InvalidOperationException>(() => pool.RecycleDirect(page));
        Assert.Contains("outside the poll of its NAPI context 'eth0-rx0'", ex.Message);
        Assert.Contains("allowDirect: false", ex.Message);
        Assert.Throws<InvalidOperationException>(() => pool.PutPage(page, -1, allowDirect: true));

        pool.PutFullPage(page, allowDirect: false); // the ring is always allowed
        Assert.Equal(1, pool.GetStats().RecycleRing);
    }

    [Fact]
    public void RecycleDirect_inside_the_pools_NAPI_poll_is_allowed()
    {
        var done = new ManualResetEventSlim();
        Exception? failure = null;
        PagePool? pool = null;
        var napi = new Napi(_dev, (n, _) =>
        {
            try
            {
                var page = pool!.AllocPages(AllocFlags.Atomic)!;
                pool.RecycleDirect(page);
                page = pool.AllocPages(AllocFlags.Atomic)!;
                pool.PutPage(page, 64, allowDirect: true);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            n.CompleteDone(0);
            done.Set();
            return 0;
        });
        pool = CreatePool(napi: napi);
        napi.Enable();

        napi.Schedule();
        Assert.True(done.Wait(TestThreads.Timeout));
        napi.Disable();

        Assert.Null(failure);
        Assert.Equal(2, pool.GetStats().RecycleCached);
        pool.Destroy();
        Assert.True(pool.Freed.IsCompleted);
    }

    [Fact]
    public void RecycleDirect_inside_another_NAPI_instances_poll_throws_naming_both()
    {
        var done = new ManualResetEventSlim();
        Exception? failure = null;
        var owner = new Napi(_dev, (_, _) => 0) { Name = "eth0-rx0" };
        using var pool = CreatePool(napi: owner);
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        var foreign = new Napi(_dev, (n, _) =>
        {
            failure = Record.Exception(() => pool.RecycleDirect(page));
            n.CompleteDone(0);
            done.Set();
            return 0;
        }) { Name = "eth0-rx1" };
        foreign.Enable();

        foreign.Schedule();
        Assert.True(done.Wait(TestThreads.Timeout));
        foreign.Disable();

        var ex = Assert.IsType<InvalidOperationException>(failure);
        Assert.Contains("'eth0-rx0'", ex.Message);
        Assert.Contains("poll of 'eth0-rx1'", ex.Message);
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public unsafe void A_put_page_is_poisoned_with_0xAA()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        page.Span.Fill(0x11);

        pool.RecycleDirect(page);

        var memory = new ReadOnlySpan<byte>((void*)page.Address, page.Length);
        Assert.True(memory.IndexOfAnyExcept((byte)0xAA) < 0, "every byte of a recycled page reads 0xAA");
        var again = pool.AllocPages(AllocFlags.Atomic)!;
        Assert.Same(page, again);
        Assert.Equal(0xAA, again.Span[100]);
        pool.RecycleDirect(again);
    }

    [Fact]
    public void The_memory_of_a_put_page_cannot_be_touched_through_Span()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.PutFullPage(page, allowDirect: false);

        var ex = Assert.Throws<InvalidOperationException>(() => page.Span[0] = 1);
        Assert.Contains("use after put", ex.Message);
    }

    [Fact]
    public void Get_and_Put_on_a_put_page_throw()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.PutFullPage(page, allowDirect: false);

        Assert.Throws<InvalidOperationException>(page.Get);
        Assert.Throws<InvalidOperationException>(page.Put);
        Assert.Equal(1, page.RefCount);
    }

    [Fact]
    public void GetDmaAddress_of_a_put_page_throws()
    {
        var device = new CheckingDmaDevice();
        using var pool = CreatePool(device: device);
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        Assert.Equal((ulong)page.Address, pool.GetDmaAddress(page));
        pool.PutFullPage(page, allowDirect: false);

        Assert.Throws<InvalidOperationException>(() => pool.GetDmaAddress(page));
    }

    [Fact]
    public void A_reallocated_page_is_usable_again()
    {
        using var pool = CreatePool();
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.RecycleDirect(page);

        var again = pool.AllocPages(AllocFlags.Atomic)!;
        again.Span[0] = 1;
        again.Get();
        again.Put();
        pool.PutFullPage(again, allowDirect: false);
    }

    [Fact]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Pages_inflight_at_destroy_are_reported_with_their_allocation_stacks()
    {
        var pool = CreatePool("leaky");
        var warnings = new List<StalledShutdownEventArgs>();
        pool.StalledShutdown += (_, e) => warnings.Add(e);
        var leaked = pool.AllocMany(2);
        var returned = pool.AllocPages(AllocFlags.Atomic)!;
        pool.PutFullPage(returned, allowDirect: false);

        pool.Destroy();

        var report = Assert.Single(warnings);
        Assert.Equal("leaky", report.PoolName);
        Assert.Equal(2, report.Inflight);
        Assert.Equal(TimeSpan.Zero, report.Elapsed);
        Assert.Equal(2, report.AllocationStacks.Count);
        Assert.All(report.AllocationStacks, stack =>
            Assert.Contains(nameof(Pages_inflight_at_destroy_are_reported_with_their_allocation_stacks), stack.ToString()));

        // Returned pages drop out of the report.
        pool.PutFullPage(leaked[0], allowDirect: false);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(2, warnings.Count);
        Assert.Equal(1, warnings[1].Inflight);
        Assert.Single(warnings[1].AllocationStacks);

        pool.PutFullPage(leaked[1], allowDirect: false);
        Assert.True(pool.Freed.IsCompleted);
    }

    [Fact]
    public void A_clean_destroy_reports_nothing()
    {
        var pool = CreatePool();
        var raised = 0;
        pool.StalledShutdown += (_, _) => raised++;
        pool.PutAll(pool.AllocMany(10), allowDirect: true);

        pool.Destroy();

        Assert.Equal(0, raised);
        Assert.True(pool.Freed.IsCompleted);
    }

    [Fact]
    public void Checked_mode_allocates_and_recycles_like_unchecked_mode()
    {
        using var pool = CreatePool();
        var pages = pool.AllocMany(PagePool.CacheRefill + 1);
        pool.PutAll(pages.Take(10), allowDirect: true);
        pool.PutAll(pages.Skip(10), allowDirect: false);

        var stats = pool.GetStats();
        Assert.Equal(2, stats.AllocSlow);
        Assert.Equal(PagePool.CacheRefill - 1, stats.AllocFast);
        Assert.Equal(10, stats.RecycleCached);
        Assert.Equal(PagePool.CacheRefill - 9, stats.RecycleRing);
        Assert.Equal(2 * PagePool.CacheRefill, pool.Inflight);
    }
}
