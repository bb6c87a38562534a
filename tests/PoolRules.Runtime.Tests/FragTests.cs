using System;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// <c>page_pool_alloc_frag</c>: fragments carved from a shared page at cache-line-aligned offsets; the page
/// recycles only after the last fragment's put.
/// </summary>
public sealed class FragTests : IDisposable
{
    private readonly CountingPageAllocator _allocator = new();

    public void Dispose()
    {
        Assert.Equal(0, _allocator.LiveBlocks);
        Assert.Equal(0, _allocator.BadFrees);
    }

    private PagePool CreatePool(int order = 0) =>
        PagePool.Create(new PagePoolParams { Order = order, PageAllocator = _allocator, Name = "frag" });

    [Fact]
    public void Several_fragments_share_one_page_at_64_byte_aligned_offsets()
    {
        using var pool = CreatePool();
        var a = pool.AllocFrag(100, out var offsetA)!;
        var b = pool.AllocFrag(100, out var offsetB)!;
        var c = pool.AllocFrag(1, out var offsetC)!;

        Assert.Same(a, b);
        Assert.Same(b, c);
        Assert.Equal(0, offsetA);
        Assert.Equal(128, offsetB);
        Assert.Equal(256, offsetC);
        pool.PutFullPage(a, allowDirect: false);
        pool.PutFullPage(b, allowDirect: false);
        pool.PutFullPage(c, allowDirect: false);
    }

    [Fact]
    public void A_fragment_that_does_not_fit_starts_a_new_page_at_offset_0()
    {
        using var pool = CreatePool();
        var a = pool.AllocFrag(3000, out _)!;
        var b = pool.AllocFrag(2000, out var offsetB)!;

        Assert.NotSame(a, b);
        Assert.Equal(0, offsetB);
        pool.PutFullPage(a, allowDirect: false);
        pool.PutFullPage(b, allowDirect: false);
    }

    [Fact]
    public void A_fragment_that_exactly_fills_the_page_stays_on_it()
    {
        using var pool = CreatePool();
        var a = pool.AllocFrag(2048, out _)!;
        var b = pool.AllocFrag(2048, out var offsetB)!;

        Assert.Same(a, b);
        Assert.Equal(2048, offsetB);
        pool.PutFullPage(a, allowDirect: false);
        pool.PutFullPage(b, allowDirect: false);
    }

    [Fact]
    public void The_page_recycles_only_after_the_last_fragments_put()
    {
        using var pool = CreatePool();
        var a = pool.AllocFrag(1024, out _)!;
        var b = pool.AllocFrag(1024, out _)!;
        var c = pool.AllocFrag(1024, out _)!;
        var next = pool.AllocFrag(2048, out _)!; // does not fit: the pool stops carving the first page
        Assert.NotSame(a, next);

        pool.PutFullPage(a, allowDirect: false);
        pool.PutFullPage(b, allowDirect: false);
        Assert.Equal(0, pool.GetStats().RecycleRing);
        Assert.Equal(0, pool.GetStats().RecycleCached);

        pool.PutFullPage(c, allowDirect: false);
        Assert.Equal(1, pool.GetStats().RecycleRing);

        pool.PutFullPage(next, allowDirect: false);
    }

    [Fact]
    public void A_page_whose_fragments_all_came_back_is_carved_again_in_place()
    {
        using var pool = CreatePool();
        var a = pool.AllocFrag(2048, out _)!;
        var b = pool.AllocFrag(2048, out _)!;
        pool.PutFullPage(a, allowDirect: true);
        pool.PutFullPage(b, allowDirect: true);
        var fastBefore = pool.GetStats().AllocFast;

        var c = pool.AllocFrag(512, out var offset)!;

        Assert.Same(a, c);
        Assert.Equal(0, offset);
        Assert.Equal(fastBefore + 1, pool.GetStats().AllocFast);
        Assert.Equal(0, pool.GetStats().RecycleCached);
        pool.PutFullPage(c, allowDirect: false);
    }

    [Fact]
    public void Fragment_sizes_outside_the_page_are_refused()
    {
        using var pool = CreatePool();
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.AllocFrag(0, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.AllocFrag(4097, out _));
    }

    [Fact]
    public void Fragments_of_a_higher_order_pool_use_the_whole_large_page()
    {
        using var pool = CreatePool(order: 1);
        var a = pool.AllocFrag(4096, out _)!;
        var b = pool.AllocFrag(4096, out var offsetB)!;

        Assert.Same(a, b);
        Assert.Equal(4096, offsetB);
        pool.PutFullPage(a, allowDirect: false);
        pool.PutFullPage(b, allowDirect: false);
    }

    [Fact]
    public void AllocFrag_returns_null_when_no_page_can_be_had()
    {
        using var pool = CreatePool();
        _allocator.FailAll = true;

        Assert.Null(pool.AllocFrag(64, out var offset));
        Assert.Equal(0, offset);
        Assert.Equal(0, pool.Inflight);
    }

    [Fact]
    public void Destroy_waits_for_outstanding_fragments_and_the_last_put_frees_the_pool()
    {
        var pool = CreatePool();
        var a = pool.AllocFrag(1000, out _)!;
        var b = pool.AllocFrag(1000, out _)!;

        pool.Destroy();
        Assert.False(pool.Freed.IsCompleted);
        Assert.Equal(1, pool.Inflight);

        pool.PutFullPage(a, allowDirect: false);
        Assert.False(pool.Freed.IsCompleted);
        pool.PutFullPage(b, allowDirect: false);

        Assert.True(pool.Freed.IsCompleted);
        Assert.Equal(0, pool.Inflight);
    }

    [Fact]
    public void Destroy_frees_a_partly_carved_page_whose_fragments_all_came_back()
    {
        var pool = CreatePool();
        var a = pool.AllocFrag(1000, out _)!;
        pool.PutFullPage(a, allowDirect: true);

        pool.Destroy();

        Assert.True(pool.Freed.IsCompleted);
        Assert.Equal(0, pool.Inflight);
    }

    [Fact]
    public void A_drained_fragment_page_someone_still_references_is_released_not_freed()
    {
        using var pool = CreatePool();
        var a = pool.AllocFrag(2048, out _)!;
        a.Get(); // e.g. an skb took its own reference to the frame
        pool.PutFullPage(a, allowDirect: false);
        var address = a.Address;

        var next = pool.AllocFrag(4096, out _)!; // drains the first page: its fragments are back, but it has 2 refs

        Assert.NotSame(a, next);
        Assert.True(_allocator.IsLive(address));
        Assert.Equal(1, a.RefCount);
        Assert.Null(a.Pool);
        a.Span[0] = 1; // still the holder's memory
        a.Put();
        Assert.False(_allocator.IsLive(address));
        pool.PutFullPage(next, allowDirect: false);
    }
}
