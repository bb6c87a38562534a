using System;
using System.Threading;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// NAPI-local recycling (kernel 6.10): a put with <c>allowDirect: false</c> made on the poll of the pool's own NAPI
/// instance goes to the fast cache; from any other thread, from another instance's poll, while the instance is being
/// disabled, or after <c>Destroy</c>, it goes to the ring.
/// </summary>
public sealed class NapiLocalRecyclingTests : IDisposable
{
    private readonly CountingPageAllocator _allocator = new();
    private readonly PollHost _host = new("rx0");

    public void Dispose()
    {
        _host.Dispose();
        Assert.Equal(0, _allocator.BadFrees);
    }

    private PagePool CreatePool(Napi? napi, bool isChecked = false) => PagePool.Create(new PagePoolParams
    {
        PageAllocator = _allocator,
        Napi = napi,
        Checked = isChecked,
        Name = "napi-local",
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PutFullPage_without_allowDirect_in_the_pools_own_poll_goes_to_the_fast_cache(bool isChecked)
    {
        var pool = CreatePool(_host.Napi, isChecked);
        Page? first = null, again = null;
        _host.Run(() =>
        {
            first = pool.AllocPages(AllocFlags.Atomic)!;
            pool.PutFullPage(first, allowDirect: false);
            again = pool.AllocPages(AllocFlags.Atomic);
        });

        var stats = pool.GetStats();
        Assert.Same(first, again);
        Assert.Equal(1, stats.RecycleCached);
        Assert.Equal(0, stats.RecycleRing);
        Assert.Equal(1, stats.AllocFast);
        pool.PutFullPage(again!, allowDirect: false);
        _host.Dispose();
        pool.Destroy();
        Assert.True(pool.Freed.IsCompletedSuccessfully);
    }

    [Fact]
    public void PutPage_with_a_sync_size_in_the_own_poll_goes_to_the_fast_cache_too()
    {
        var pool = CreatePool(_host.Napi);
        _host.Run(() => pool.PutPage(pool.AllocPages(AllocFlags.Atomic)!, 128, allowDirect: false));

        Assert.Equal(1, pool.GetStats().RecycleCached);
        Assert.Equal(0, pool.GetStats().RecycleRing);
        _host.Dispose();
        pool.Destroy();
    }

    [Fact]
    public void A_put_from_another_thread_while_the_napi_polls_goes_to_the_ring()
    {
        var pool = CreatePool(_host.Napi);
        Page? page = null;
        _host.Run(() => page = pool.AllocPages(AllocFlags.Atomic));

        pool.PutFullPage(page!, allowDirect: false);

        Assert.True(_host.Napi.IsEnabled);
        Assert.Equal(0, pool.GetStats().RecycleCached);
        Assert.Equal(1, pool.GetStats().RecycleRing);
        _host.Dispose();
        pool.Destroy();
    }

    [Fact]
    public void A_put_in_the_poll_of_another_napi_instance_goes_to_the_ring()
    {
        using var other = new PollHost("rx1");
        var pool = CreatePool(_host.Napi);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        other.Run(() => pool.PutFullPage(page, allowDirect: false));

        Assert.Equal(0, pool.GetStats().RecycleCached);
        Assert.Equal(1, pool.GetStats().RecycleRing);
        pool.Destroy();
    }

    [Fact]
    public void A_put_from_a_thread_the_poll_waits_for_goes_to_the_ring()
    {
        var pool = CreatePool(_host.Napi);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        _host.Run(() =>
        {
            var helper = new Thread(() => pool.PutFullPage(page, allowDirect: false));
            helper.Start();
            Assert.True(helper.Join(TestThreads.Timeout));
        });

        Assert.Equal(0, pool.GetStats().RecycleCached);
        Assert.Equal(1, pool.GetStats().RecycleRing);
        _host.Dispose();
        pool.Destroy();
    }

    [Fact]
    public void A_put_deep_in_the_polls_own_call_stack_still_goes_to_the_fast_cache()
    {
        var pool = CreatePool(_host.Napi);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        _host.Run(() => PutAtDepth(pool, page, 200));

        Assert.Equal(1, pool.GetStats().RecycleCached);
        _host.Dispose();
        pool.Destroy();
    }

    // About 200 frames with a kilobyte of locals each: far below the poll, well inside its thread's stack.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void PutAtDepth(PagePool pool, Page page, int depth)
    {
        Span<byte> pad = stackalloc byte[1024];
        pad[depth % pad.Length] = 1;
        if (depth == 0)
        {
            pool.PutFullPage(page, allowDirect: false);
            return;
        }

        PutAtDepth(pool, page, depth - 1);
        GC.KeepAlive(pad[0]);
    }

    [Fact]
    public void A_pool_without_a_napi_instance_never_recycles_locally()
    {
        var pool = CreatePool(napi: null);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        _host.Run(() => pool.PutFullPage(page, allowDirect: false));

        Assert.Equal(0, pool.GetStats().RecycleCached);
        Assert.Equal(1, pool.GetStats().RecycleRing);
        pool.Destroy();
    }

    [Fact]
    public void A_put_in_the_own_poll_while_the_napi_is_being_disabled_goes_to_the_ring()
    {
        var pool = CreatePool(_host.Napi);
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        Thread? disable = null;
        var disabledSeen = false;

        _host.Run(() =>
        {
            // napi_disable waits for this poll; the put made meanwhile must not touch the cache it is about to lose.
            disable = new Thread(_host.Napi.Disable) { IsBackground = true };
            disable.Start();
            disabledSeen = SpinWait.SpinUntil(() => !_host.Napi.IsEnabled, TestThreads.Timeout);
            pool.PutFullPage(page, allowDirect: false);
        });

        Assert.True(disable!.Join(TestThreads.Timeout));
        Assert.True(disabledSeen);
        Assert.Equal(0, pool.GetStats().RecycleCached);
        Assert.Equal(1, pool.GetStats().RecycleRing);
        pool.Destroy();
        Assert.True(pool.Freed.IsCompletedSuccessfully);
    }

    [Fact]
    public void A_put_in_the_own_poll_after_destroy_frees_the_page()
    {
        var pool = CreatePool(_host.Napi);
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.Destroy();

        _host.Run(() => pool.PutFullPage(page, allowDirect: false));

        var stats = pool.GetStats();
        Assert.Equal(0, stats.RecycleCached);
        Assert.Equal(0, stats.RecycleCacheFull);
        Assert.Equal(1, stats.RecycleRingFull);
        Assert.True(pool.Freed.IsCompletedSuccessfully);
        Assert.Equal(0, _allocator.LiveBlocks);
    }

    [Fact]
    public void Checked_mode_still_refuses_allowDirect_true_off_the_poll_but_accepts_false()
    {
        var pool = CreatePool(_host.Napi, isChecked: true);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        Assert.Throws<InvalidOperationException>(() => pool.RecycleDirect(page));
        pool.PutFullPage(page, allowDirect: false);

        Assert.Equal(1, pool.GetStats().RecycleRing);
        pool.Destroy();
    }
}
