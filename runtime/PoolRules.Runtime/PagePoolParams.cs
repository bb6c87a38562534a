using System;

namespace PoolRules.Runtime;

/// <summary>The kernel's <c>struct page_pool_params</c>: everything <see cref="PagePool.Create"/> needs.</summary>
public sealed class PagePoolParams
{
    /// <summary><c>PP_FLAG_*</c>: whether the pool maps pages for DMA and syncs them for the device.</summary>
    public PagePoolFlags Flags { get; init; }

    /// <summary>Each page is <c>4096 &lt;&lt; Order</c> bytes; 0 to <see cref="PagePool.MaxOrder"/>.</summary>
    public int Order { get; init; }

    /// <summary>Capacity of the ptr-ring that takes pages returned from other threads; 0 means 1024, at most 32768.</summary>
    public int PoolSize { get; init; }

    /// <summary>Preferred NUMA node; <see cref="NumaNode.NoNode"/> means the local node.</summary>
    public int Nid { get; init; } = NumaNode.NoNode;

    /// <summary>The device pages are mapped for; required with <see cref="PagePoolFlags.DmaMap"/>.</summary>
    public IDmaDevice? Device { get; init; }

    /// <summary>Direction of the mapping; with <see cref="PagePoolFlags.DmaMap"/> only FromDevice or Bidirectional.</summary>
    public DmaDirection DmaDirection { get; init; }

    /// <summary>Bytes synced for the device on recycle (<see cref="PagePoolFlags.DmaSyncDevice"/>); at most the page size minus <see cref="Offset"/>.</summary>
    public int MaxLength { get; init; }

    /// <summary>Offset into the page where the device starts writing (headroom); DMA syncs start here.</summary>
    public int Offset { get; init; }

    /// <summary>The NAPI instance that owns the pool's fast cache; checked mode verifies direct recycling runs in its poll.</summary>
    public Napi? Napi { get; init; }

    /// <summary>A name for diagnostics (stalled-shutdown warnings, exceptions).</summary>
    public string? Name { get; init; }

    /// <summary>Run-time misuse checks: double put, foreign pool, direct recycle off the NAPI thread, use after put, leak stacks.</summary>
    public bool Checked { get; init; }

    /// <summary>Opt-out for hardware that cannot have a pool per RX queue: allows registering the pool on several queues.</summary>
    public bool AllowSharedQueues { get; init; }

    /// <summary>Where pages come from when the pool's caches are empty; <see cref="PageAllocator.Default"/> when null.</summary>
    public PageAllocator? PageAllocator { get; init; }

    /// <summary>How often a destroyed pool with pages still inflight checks again (the kernel's <c>DEFER_TIME</c>, 1 s).</summary>
    public TimeSpan ShutdownRetryPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a stalled shutdown raises <see cref="PagePool.StalledShutdown"/> (the kernel's <c>DEFER_WARN_INTERVAL</c>, 60 s).</summary>
    public TimeSpan ShutdownWarnPeriod { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The clock behind the shutdown retry timer; tests pass a manual one.</summary>
    public TimeProvider? TimeProvider { get; init; }
}
