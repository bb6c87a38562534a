using System;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary><c>PagePool.Create</c> validates its parameters like the kernel's <c>page_pool_init</c>.</summary>
public sealed class CreateValidationTests
{
    private static readonly IDmaDevice Device = IdentityDmaDevice.Instance;

    [Fact]
    public void Null_parameters_throw_ArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => PagePool.Create(null!));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(-1)]
    public void Unknown_flags_are_EINVAL_naming_Flags(int flags)
    {
        var ex = Assert.Throws<ArgumentException>(() => PagePool.Create(new PagePoolParams { Flags = (PagePoolFlags)flags, Device = Device }));
        Assert.Contains("Flags", ex.Message);
    }

    [Fact]
    public void DmaSyncDevice_without_DmaMap_is_EINVAL_naming_DmaSyncDevice()
    {
        var ex = Assert.Throws<ArgumentException>(() => PagePool.Create(new PagePoolParams
        {
            Flags = PagePoolFlags.DmaSyncDevice,
            Device = Device,
            MaxLength = 1500,
            DmaDirection = DmaDirection.FromDevice,
        }));
        Assert.Contains("DmaSyncDevice", ex.Message);
        Assert.Contains("DmaMap", ex.Message);
    }

    [Fact]
    public void DmaSyncDevice_with_MaxLength_zero_is_EINVAL_naming_MaxLength()
    {
        var ex = Assert.Throws<ArgumentException>(() => PagePool.Create(new PagePoolParams
        {
            Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
            Device = Device,
            MaxLength = 0,
            DmaDirection = DmaDirection.FromDevice,
        }));
        Assert.Contains("MaxLength", ex.Message);
    }

    [Theory]
    [InlineData(DmaDirection.ToDevice)]
    [InlineData(DmaDirection.None)]
    public void DmaMap_with_a_direction_other_than_FromDevice_or_Bidirectional_is_EINVAL_naming_DmaDirection(DmaDirection direction)
    {
        var ex = Assert.Throws<ArgumentException>(() => PagePool.Create(new PagePoolParams
        {
            Flags = PagePoolFlags.DmaMap,
            Device = Device,
            DmaDirection = direction,
        }));
        Assert.Contains("DmaDirection", ex.Message);
    }

    [Theory]
    [InlineData(DmaDirection.FromDevice)]
    [InlineData(DmaDirection.Bidirectional)]
    public void DmaMap_accepts_FromDevice_and_Bidirectional(DmaDirection direction)
    {
        using var pool = PagePool.Create(new PagePoolParams { Flags = PagePoolFlags.DmaMap, Device = Device, DmaDirection = direction });
        Assert.Equal(direction, pool.DmaDirection);
    }

    [Fact]
    public void DmaMap_without_a_device_is_EINVAL_naming_Device()
    {
        var ex = Assert.Throws<ArgumentException>(() => PagePool.Create(new PagePoolParams
        {
            Flags = PagePoolFlags.DmaMap,
            DmaDirection = DmaDirection.FromDevice,
        }));
        Assert.Contains("Device", ex.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(PagePool.MaxOrder + 1)]
    [InlineData(int.MaxValue)]
    public void Negative_or_too_large_order_is_EINVAL_naming_Order(int order)
    {
        var ex = Assert.Throws<ArgumentException>(() => PagePool.Create(new PagePoolParams { Order = order }));
        Assert.Contains("Order", ex.Message);
    }

    [Theory]
    [InlineData(PagePool.MaxPoolSize + 1)]
    [InlineData(1 << 20)]
    public void Pool_size_over_32768_is_E2BIG_naming_PoolSize(int poolSize)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => PagePool.Create(new PagePoolParams { PoolSize = poolSize }));
        Assert.Contains("PoolSize", ex.Message);
    }

    [Fact]
    public void Negative_pool_size_is_refused_naming_PoolSize()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => PagePool.Create(new PagePoolParams { PoolSize = -1 }));
        Assert.Contains("PoolSize", ex.Message);
    }

    [Fact]
    public void Pool_size_0_means_a_ring_of_1024()
    {
        using var pool = PagePool.Create(new PagePoolParams { PoolSize = 0 });
        Assert.Equal(PagePool.DefaultPoolSize, pool.RingCapacity);
        Assert.Equal(1024, pool.RingCapacity);
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(256, 256)]
    [InlineData(1000, 1024)]
    [InlineData(PagePool.MaxPoolSize, PagePool.MaxPoolSize)]
    public void Pool_size_is_rounded_up_to_a_power_of_two_of_at_least_2(int poolSize, int ringCapacity)
    {
        using var pool = PagePool.Create(new PagePoolParams { PoolSize = poolSize });
        Assert.Equal(ringCapacity, pool.RingCapacity);
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(4096, 0)]
    [InlineData(0, 4097)]
    [InlineData(256, 4000)]
    public void Offset_and_MaxLength_must_fit_the_page_naming_the_field(int offset, int maxLength)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => PagePool.Create(new PagePoolParams { Offset = offset, MaxLength = maxLength }));
        Assert.Contains(offset is < 0 or >= 4096 ? "Offset" : "MaxLength", ex.Message);
    }

    [Fact]
    public void Offset_and_MaxLength_scale_with_the_order()
    {
        using var pool = PagePool.Create(new PagePoolParams { Order = 1, Offset = 4096, MaxLength = 4096 });
        Assert.Equal(1, pool.Order);
    }

    [Fact]
    public void Nid_below_NoNode_is_refused_naming_Nid()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => PagePool.Create(new PagePoolParams { Nid = -2 }));
        Assert.Contains("Nid", ex.Message);
    }

    [Fact]
    public void Non_positive_shutdown_periods_are_refused_naming_the_period()
    {
        var retry = Assert.Throws<ArgumentOutOfRangeException>(() => PagePool.Create(new PagePoolParams { ShutdownRetryPeriod = TimeSpan.Zero }));
        Assert.Contains("ShutdownRetryPeriod", retry.Message);
        var warn = Assert.Throws<ArgumentOutOfRangeException>(() => PagePool.Create(new PagePoolParams { ShutdownWarnPeriod = TimeSpan.FromSeconds(-1) }));
        Assert.Contains("ShutdownWarnPeriod", warn.Message);
    }

    [Fact]
    public void A_valid_pool_reports_its_parameters()
    {
        var allocator = new CountingPageAllocator();
        using var pool = PagePool.Create(new PagePoolParams
        {
            Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
            Device = Device,
            DmaDirection = DmaDirection.Bidirectional,
            MaxLength = 2048,
            Offset = 256,
            Order = 2,
            Nid = 0,
            Name = "eth0-rx0",
            PageAllocator = allocator,
        });

        Assert.Equal("eth0-rx0", pool.Name);
        Assert.Equal(DmaDirection.Bidirectional, pool.DmaDirection);
        Assert.Equal(2, pool.Order);
        Assert.Equal(0, pool.Nid);
        Assert.Equal(0, pool.Inflight);
        Assert.Equal(0, allocator.AllocCalls);
        Assert.False(pool.IsDestroyed);
    }
}
