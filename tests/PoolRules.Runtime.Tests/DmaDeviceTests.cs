using System;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// The DMA devices: the checking device catches what the kernel's DMA-API debugging catches, and a pool's whole
/// lifecycle maps each page once and leaves no mapping behind.
/// </summary>
public sealed class DmaDeviceTests : IDisposable
{
    private readonly CountingPageAllocator _allocator = new();
    private readonly CheckingDmaDevice _device = new();
    private readonly PagePool _plainPool;
    private readonly Page _page;

    public DmaDeviceTests()
    {
        // A page from a pool that does not map, so the test maps it by hand.
        _plainPool = PagePool.Create(new PagePoolParams { PageAllocator = _allocator, Order = 0 });
        _page = _plainPool.AllocPages(AllocFlags.Atomic)!;
    }

    public void Dispose()
    {
        _plainPool.PutFullPage(_page, allowDirect: false);
        _plainPool.Destroy();
        Assert.Equal(0, _allocator.LiveBlocks);
    }

    private PagePool CreateMappingPool(IDmaDevice device, int order = 0) => PagePool.Create(new PagePoolParams
    {
        Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
        Device = device,
        DmaDirection = DmaDirection.FromDevice,
        MaxLength = 2048,
        Order = order,
        PageAllocator = _allocator,
    });

    [Fact]
    public void The_checking_device_identity_maps_and_records_each_mapping()
    {
        var addr = _device.Map(_page, 0, 4096, DmaDirection.FromDevice);

        Assert.Equal((ulong)_page.Address, addr);
        Assert.Equal(new DmaMapping(addr, 4096, DmaDirection.FromDevice), Assert.Single(_device.LiveMappings));
        Assert.Equal(1, _device.MapCount);
        _device.Unmap(addr, 4096, DmaDirection.FromDevice);
        Assert.Empty(_device.LiveMappings);
        Assert.Equal(1, _device.UnmapCount);
    }

    [Fact]
    public void A_double_unmap_throws()
    {
        var addr = _device.Map(_page, 0, 4096, DmaDirection.FromDevice);
        _device.Unmap(addr, 4096, DmaDirection.FromDevice);

        var ex = Assert.Throws<InvalidOperationException>(() => _device.Unmap(addr, 4096, DmaDirection.FromDevice));
        Assert.Contains("double unmap", ex.Message);
    }

    [Fact]
    public void A_double_map_throws()
    {
        var addr = _device.Map(_page, 0, 4096, DmaDirection.FromDevice);
        var ex = Assert.Throws<InvalidOperationException>(() => _device.Map(_page, 0, 4096, DmaDirection.FromDevice));
        Assert.Contains("double map", ex.Message);
        _device.Unmap(addr, 4096, DmaDirection.FromDevice);
    }

    [Fact]
    public void Unmapping_with_another_length_or_direction_than_mapped_throws()
    {
        var addr = _device.Map(_page, 0, 4096, DmaDirection.FromDevice);

        Assert.Throws<InvalidOperationException>(() => _device.Unmap(addr, 2048, DmaDirection.FromDevice));
        Assert.Throws<InvalidOperationException>(() => _device.Unmap(addr, 4096, DmaDirection.Bidirectional));
        _device.Unmap(addr, 4096, DmaDirection.FromDevice);
    }

    [Fact]
    public void Syncing_an_unmapped_address_throws()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => _device.SyncForDevice((ulong)_page.Address, 0, 64, DmaDirection.FromDevice));
        Assert.Contains("not mapped", ex.Message);
        Assert.Throws<InvalidOperationException>(() => _device.SyncForCpu((ulong)_page.Address, 0, 64, DmaDirection.FromDevice));
    }

    [Theory]
    [InlineData(0, 4097)]
    [InlineData(4000, 100)]
    [InlineData(-1, 10)]
    [InlineData(0, -1)]
    public void Syncing_a_range_beyond_the_mapping_throws(int offset, int length)
    {
        var addr = _device.Map(_page, 0, 4096, DmaDirection.FromDevice);

        Assert.Throws<ArgumentOutOfRangeException>(() => _device.SyncForDevice(addr, offset, length, DmaDirection.FromDevice));
        Assert.Throws<ArgumentOutOfRangeException>(() => _device.SyncForCpu(addr, offset, length, DmaDirection.FromDevice));
        _device.Unmap(addr, 4096, DmaDirection.FromDevice);
    }

    [Fact]
    public void Mapping_beyond_the_page_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _device.Map(_page, 100, 4096, DmaDirection.FromDevice));
        Assert.Empty(_device.LiveMappings);
    }

    [Fact]
    public void Syncing_with_another_direction_than_mapped_throws()
    {
        var addr = _device.Map(_page, 0, 4096, DmaDirection.FromDevice);
        Assert.Throws<InvalidOperationException>(() => _device.SyncForDevice(addr, 0, 64, DmaDirection.ToDevice));
        _device.SyncForDevice(addr, 0, 4096, DmaDirection.FromDevice);
        Assert.Equal(1, _device.SyncForDeviceCount);
        _device.Unmap(addr, 4096, DmaDirection.FromDevice);
    }

    [Fact]
    public void Leaked_mappings_are_reported_with_their_addresses()
    {
        _device.ThrowIfMappingsLeaked();
        var addr = _device.Map(_page, 0, 4096, DmaDirection.FromDevice);

        var ex = Assert.Throws<InvalidOperationException>(_device.ThrowIfMappingsLeaked);
        Assert.Contains("1 mapping(s) leaked", ex.Message);
        Assert.Contains($"0x{addr:x}+4096", ex.Message);
        _device.Unmap(addr, 4096, DmaDirection.FromDevice);
        _device.ThrowIfMappingsLeaked();
    }

    [Fact]
    public void The_identity_device_maps_to_the_virtual_address()
    {
        var device = IdentityDmaDevice.Instance;
        Assert.Equal((ulong)_page.Address + 64, device.Map(_page, 64, 128, DmaDirection.FromDevice));
        device.SyncForDevice(0, 0, 0, DmaDirection.FromDevice);
        device.SyncForCpu(0, 0, 0, DmaDirection.FromDevice);
        device.Unmap(0, 0, DmaDirection.FromDevice);
    }

    [Fact]
    public void GetDmaAddress_returns_the_address_the_pool_mapped_the_page_at()
    {
        using var pool = CreateMappingPool(_device);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        var addr = pool.GetDmaAddress(page);

        Assert.Equal((ulong)page.Address, addr);
        Assert.Contains(_device.LiveMappings, m => m.Address == addr && m.Length == 4096 && m.Direction == DmaDirection.FromDevice);
        pool.PutFullPage(page, allowDirect: false);
    }

    [Fact]
    public void GetDmaAddress_throws_when_the_pool_does_not_map()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => _plainPool.GetDmaAddress(_page));
        Assert.Contains("DmaMap", ex.Message);
    }

    [Fact]
    public void Higher_order_pages_are_mapped_whole()
    {
        using var pool = CreateMappingPool(_device, order: 2);
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        Assert.Equal(16384, Assert.Single(_device.LiveMappings).Length);
        pool.ReleasePage(page);
        Assert.Empty(_device.LiveMappings);
        page.Put();
    }

    [Fact]
    public void A_full_pool_lifecycle_maps_each_page_once_and_leaves_no_live_mapping()
    {
        var pool = CreateMappingPool(_device);
        var pages = pool.AllocMany(3 * PagePool.CacheRefill);
        for (var round = 0; round < 5; round++)
        {
            pool.PutAll(pages.GetRange(0, 64), allowDirect: true);
            pool.PutAll(pages.GetRange(64, 128), allowDirect: false);
            pages = pool.AllocMany(3 * PagePool.CacheRefill);
        }

        var shared = pages[0];
        shared.Get();
        pool.PutFullPage(shared, allowDirect: false); // released: unmapped now
        shared.Put();
        pool.ReleasePage(pages[1]);
        pages[1].Put();
        pool.PutAll(pages.GetRange(2, pages.Count - 2), allowDirect: false);
        pool.Destroy();

        Assert.True(pool.Freed.IsCompleted);
        Assert.Equal(3 * PagePool.CacheRefill, _device.MapCount);
        Assert.Equal(_device.MapCount, _device.UnmapCount);
        _device.ThrowIfMappingsLeaked();
    }
}
