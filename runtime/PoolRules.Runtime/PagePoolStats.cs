namespace PoolRules.Runtime;

/// <summary>
/// The kernel's page_pool statistics (5.18, <c>struct page_pool_stats</c>): how allocations were served and where
/// returned pages went. A snapshot; counters never go down.
/// </summary>
public readonly record struct PagePoolStats
{
    /// <summary>Allocations served from the fast cache.</summary>
    public long AllocFast { get; init; }

    /// <summary>Slow-path bulk allocations of order-0 pages from the page allocator.</summary>
    public long AllocSlow { get; init; }

    /// <summary>Slow-path allocations of higher-order pages.</summary>
    public long AllocSlowHighOrder { get; init; }

    /// <summary>Refills attempted while the ring was empty.</summary>
    public long AllocEmpty { get; init; }

    /// <summary>Allocations served after refilling the cache from the ring.</summary>
    public long AllocRefill { get; init; }

    /// <summary>Pages taken from the ring and freed because they sit on another NUMA node than the pool prefers.</summary>
    public long AllocWaive { get; init; }

    /// <summary>Fresh pages whose DMA mapping the device refused: freed and skipped, as the kernel does.</summary>
    public long AllocMapFailed { get; init; }

    /// <summary>Puts recycled straight into the fast cache.</summary>
    public long RecycleCached { get; init; }

    /// <summary>Direct puts that found the fast cache full and went to the ring.</summary>
    public long RecycleCacheFull { get; init; }

    /// <summary>Puts recycled into the ring.</summary>
    public long RecycleRing { get; init; }

    /// <summary>Puts that found the ring full; the page went back to the page allocator.</summary>
    public long RecycleRingFull { get; init; }

    /// <summary>Puts of pages with more than one reference: released from the pool instead of recycled.</summary>
    public long RecycleReleasedRefcount { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"alloc fast {AllocFast} slow {AllocSlow} slow_high_order {AllocSlowHighOrder} empty {AllocEmpty} refill {AllocRefill} waive {AllocWaive} map_failed {AllocMapFailed}; " +
        $"recycle cached {RecycleCached} cache_full {RecycleCacheFull} ring {RecycleRing} ring_full {RecycleRingFull} released_refcnt {RecycleReleasedRefcount}";
}
