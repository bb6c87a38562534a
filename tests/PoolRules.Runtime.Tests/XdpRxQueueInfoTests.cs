using System;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// <c>xdp_rxq_info</c>: register a queue, attach a memory model, unregister; a page pool serves one RX queue
/// unless created with <c>AllowSharedQueues</c>.
/// </summary>
public sealed class XdpRxQueueInfoTests : IDisposable
{
    private readonly CountingPageAllocator _allocator = new();
    private readonly NetDevice _dev = new("eth0", 2, 2);

    public void Dispose()
    {
        Assert.Equal(0, _allocator.LiveBlocks);
    }

    private PagePool CreatePool(bool allowShared = false) =>
        PagePool.Create(new PagePoolParams { PageAllocator = _allocator, AllowSharedQueues = allowShared, Name = "xdp" });

    [Fact]
    public void Register_ties_the_info_to_a_queue_of_the_device()
    {
        var rxq = new XdpRxQueueInfo();
        Assert.False(rxq.IsRegistered);
        Assert.Equal(-1, rxq.QueueIndex);

        rxq.Register(_dev, 1);

        Assert.True(rxq.IsRegistered);
        Assert.Same(_dev, rxq.Device);
        Assert.Equal(1, rxq.QueueIndex);
        Assert.Null(rxq.MemoryModel);
        Assert.Equal("eth0 rx 1", rxq.ToString());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    [InlineData(100)]
    public void A_queue_index_outside_the_devices_RX_queues_is_refused(int queueIndex)
    {
        var rxq = new XdpRxQueueInfo();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => rxq.Register(_dev, queueIndex));
        Assert.Equal("queueIndex", ex.ParamName);
        Assert.False(rxq.IsRegistered);
    }

    [Fact]
    public void Registering_twice_is_refused()
    {
        var rxq = new XdpRxQueueInfo();
        rxq.Register(_dev, 0);
        Assert.Throws<InvalidOperationException>(() => rxq.Register(_dev, 1));
        Assert.Equal(0, rxq.QueueIndex);
    }

    [Fact]
    public void A_memory_model_needs_a_registered_queue()
    {
        using var pool = CreatePool();
        var rxq = new XdpRxQueueInfo();
        Assert.Throws<InvalidOperationException>(() => rxq.RegisterMemoryModel(MemoryModelType.PagePool, pool));
        Assert.Empty(pool.RegisteredQueues);
    }

    [Fact]
    public void The_PagePool_memory_model_needs_a_pool()
    {
        var rxq = new XdpRxQueueInfo();
        rxq.Register(_dev, 0);
        Assert.Throws<ArgumentNullException>(() => rxq.RegisterMemoryModel(MemoryModelType.PagePool, null));
    }

    [Fact]
    public void An_undefined_memory_model_is_refused()
    {
        var rxq = new XdpRxQueueInfo();
        rxq.Register(_dev, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => rxq.RegisterMemoryModel((MemoryModelType)42, null));
        Assert.Null(rxq.MemoryModel);
    }

    [Fact]
    public void Other_memory_models_need_no_pool()
    {
        var rxq = new XdpRxQueueInfo();
        rxq.Register(_dev, 0);
        rxq.RegisterMemoryModel(MemoryModelType.PageOrder0, null);
        Assert.Equal(MemoryModelType.PageOrder0, rxq.MemoryModel);
        Assert.Null(rxq.Allocator);
    }

    [Fact]
    public void Registering_a_pool_as_memory_model_records_it_on_both_sides()
    {
        using var pool = CreatePool();
        var rxq = new XdpRxQueueInfo();
        rxq.Register(_dev, 0);

        rxq.RegisterMemoryModel(MemoryModelType.PagePool, pool);

        Assert.Equal(MemoryModelType.PagePool, rxq.MemoryModel);
        Assert.Same(pool, rxq.Allocator);
        Assert.Same(rxq, Assert.Single(pool.RegisteredQueues));
        rxq.Unregister();
    }

    [Fact]
    public void A_second_memory_model_on_the_same_queue_is_refused()
    {
        using var pool = CreatePool();
        var rxq = new XdpRxQueueInfo();
        rxq.Register(_dev, 0);
        rxq.RegisterMemoryModel(MemoryModelType.PageShared, null);

        Assert.Throws<InvalidOperationException>(() => rxq.RegisterMemoryModel(MemoryModelType.PagePool, pool));
        Assert.Empty(pool.RegisteredQueues);
    }

    [Fact]
    public void One_pool_on_two_RX_queues_is_refused()
    {
        using var pool = CreatePool();
        var rx0 = new XdpRxQueueInfo();
        var rx1 = new XdpRxQueueInfo();
        rx0.Register(_dev, 0);
        rx1.Register(_dev, 1);
        rx0.RegisterMemoryModel(MemoryModelType.PagePool, pool);

        var ex = Assert.Throws<InvalidOperationException>(() => rx1.RegisterMemoryModel(MemoryModelType.PagePool, pool));

        Assert.Contains("AllowSharedQueues", ex.Message);
        Assert.Contains("eth0 rx 0", ex.Message);
        Assert.Null(rx1.MemoryModel);
        Assert.Null(rx1.Allocator);
        Assert.Same(rx0, Assert.Single(pool.RegisteredQueues));
        rx0.Unregister();
    }

    [Fact]
    public void One_pool_on_queues_of_two_devices_is_refused_too()
    {
        using var pool = CreatePool();
        var rx0 = new XdpRxQueueInfo();
        var other = new XdpRxQueueInfo();
        rx0.Register(_dev, 0);
        other.Register(new NetDevice("eth1", 1, 1), 0);
        rx0.RegisterMemoryModel(MemoryModelType.PagePool, pool);

        Assert.Throws<InvalidOperationException>(() => other.RegisterMemoryModel(MemoryModelType.PagePool, pool));
        rx0.Unregister();
    }

    [Fact]
    public void AllowSharedQueues_lets_one_pool_serve_several_queues_and_it_lives_until_the_last_unregisters()
    {
        var pool = CreatePool(allowShared: true);
        var rx0 = new XdpRxQueueInfo();
        var rx1 = new XdpRxQueueInfo();
        rx0.Register(_dev, 0);
        rx1.Register(_dev, 1);
        rx0.RegisterMemoryModel(MemoryModelType.PagePool, pool);
        rx1.RegisterMemoryModel(MemoryModelType.PagePool, pool);
        Assert.Equal(2, pool.RegisteredQueues.Count);

        pool.Destroy();
        rx0.Unregister();
        Assert.False(pool.IsDestroyed);
        rx1.Unregister();
        Assert.True(pool.IsDestroyed);
        Assert.True(pool.Freed.IsCompleted);
    }

    [Fact]
    public void Unregister_clears_the_info_and_frees_the_pool_for_another_queue()
    {
        using var pool = CreatePool();
        var rx0 = new XdpRxQueueInfo();
        rx0.Register(_dev, 0);
        rx0.RegisterMemoryModel(MemoryModelType.PagePool, pool);

        rx0.Unregister();

        Assert.False(rx0.IsRegistered);
        Assert.Null(rx0.Device);
        Assert.Equal(-1, rx0.QueueIndex);
        Assert.Null(rx0.MemoryModel);
        Assert.Null(rx0.Allocator);
        Assert.Empty(pool.RegisteredQueues);
        Assert.False(pool.IsDestroyed); // the driver still holds its user

        var rx1 = new XdpRxQueueInfo();
        rx1.Register(_dev, 1);
        rx1.RegisterMemoryModel(MemoryModelType.PagePool, pool);
        rx1.Unregister();
        rx0.Unregister(); // again: harmless
    }

    [Fact]
    public void Unregistering_before_destroy_leaves_destroy_to_free_the_pool()
    {
        var pool = CreatePool();
        var rxq = new XdpRxQueueInfo();
        rxq.Register(_dev, 0);
        rxq.RegisterMemoryModel(MemoryModelType.PagePool, pool);
        rxq.Unregister();
        Assert.False(pool.IsDestroyed);

        pool.Destroy();

        Assert.True(pool.IsDestroyed);
        Assert.True(pool.Freed.IsCompleted);
    }

    [Fact]
    public void A_destroyed_pool_cannot_become_a_memory_model()
    {
        var pool = CreatePool();
        pool.Destroy();
        var rxq = new XdpRxQueueInfo();
        rxq.Register(_dev, 0);

        Assert.Throws<ObjectDisposedException>(() => rxq.RegisterMemoryModel(MemoryModelType.PagePool, pool));
        Assert.Null(rxq.MemoryModel);
    }
}
