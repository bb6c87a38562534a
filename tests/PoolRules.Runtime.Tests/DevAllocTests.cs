using System;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// <c>page_pool_dev_alloc</c> (kernel 6.7): a whole page when the size is more than half the page (and the size
/// becomes the page length), else a fragment carved as <c>AllocFrag</c> carves it.
/// </summary>
public sealed class DevAllocTests : IDisposable
{
    private readonly CountingPageAllocator _allocator = new();

    public void Dispose() => Assert.Equal(0, _allocator.BadFrees);

    private PagePool CreatePool(int order = 0) => PagePool.Create(new PagePoolParams { PageAllocator = _allocator, Order = order, Name = "dev-alloc" });

    [Theory]
    [InlineData(0, 2049)]
    [InlineData(0, 4096)]
    [InlineData(1, 4097)]
    [InlineData(1, 8192)]
    public void More_than_half_a_page_gets_the_whole_page_and_the_size_becomes_its_length(int order, int asked)
    {
        var pool = CreatePool(order);
        var size = asked;

        var page = pool.DevAlloc(ref size, out var offset);

        Assert.NotNull(page);
        Assert.Equal(PageAllocator.PageSize << order, size);
        Assert.Equal(page.Length, size);
        Assert.Equal(0, offset);
        Assert.Equal(0, page._fragCount);
        pool.PutFullPage(page, allowDirect: false);
        pool.Destroy();
        Assert.True(pool.Freed.IsCompletedSuccessfully);
    }

    [Fact]
    public void Half_a_page_or_less_gets_fragments_of_one_page_and_keeps_the_size()
    {
        var pool = CreatePool();
        var size1 = 2048;
        var size2 = 1000;

        var first = pool.DevAlloc(ref size1, out var offset1);
        var second = pool.DevAlloc(ref size2, out var offset2);

        Assert.NotNull(first);
        Assert.Same(first, second);
        Assert.Equal(2048, size1);
        Assert.Equal(1000, size2);
        Assert.Equal(0, offset1);
        Assert.Equal(2048, offset2);

        // Each fragment is put once; the page recycles with the last one.
        pool.PutFullPage(first, allowDirect: true);
        Assert.Equal(0, pool.GetStats().RecycleCached);
        pool.PutFullPage(second!, allowDirect: true);
        pool.Destroy();
        Assert.True(pool.Freed.IsCompletedSuccessfully);
        Assert.Equal(0, _allocator.LiveBlocks);
    }

    [Fact]
    public void A_higher_order_pool_carves_a_page_sized_buffer_from_its_large_page()
    {
        var pool = CreatePool(order: 1);
        var size = PageAllocator.PageSize;

        var page = pool.DevAlloc(ref size, out var offset);

        Assert.Equal(PageAllocator.PageSize, size);
        Assert.Equal(0, offset);
        Assert.NotEqual(0, page!._fragCount);
        pool.PutFullPage(page, allowDirect: true);
        pool.Destroy();
        Assert.True(pool.Freed.IsCompletedSuccessfully);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(PageAllocator.PageSize + 1)]
    public void Sizes_outside_the_page_are_refused_and_left_alone(int asked)
    {
        var pool = CreatePool();
        var size = asked;

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.DevAlloc(ref size, out _));
        Assert.Equal(asked, size);
        Assert.Equal(0, pool.Inflight);
        pool.Destroy();
    }

    [Fact]
    public void DevAlloc_returns_null_when_no_page_can_be_had_either_way()
    {
        var pool = CreatePool();
        _allocator.FailAll = true;
        var whole = 3000;
        var frag = 100;

        Assert.Null(pool.DevAlloc(ref whole, out _));
        Assert.Null(pool.DevAlloc(ref frag, out var offset));
        Assert.Equal(0, offset);
        pool.Destroy();
    }
}
