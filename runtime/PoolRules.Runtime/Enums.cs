using System;

namespace PoolRules.Runtime;

/// <summary>Pool behaviour flags (the kernel's <c>PP_FLAG_*</c>).</summary>
[Flags]
public enum PagePoolFlags
{
    /// <summary>No DMA handling: the driver maps pages itself, or does no DMA.</summary>
    None = 0,

    /// <summary><c>PP_FLAG_DMA_MAP</c>: the pool maps each page once, when it enters the pool, and unmaps it when it leaves.</summary>
    DmaMap = 1,

    /// <summary><c>PP_FLAG_DMA_SYNC_DEV</c>: the pool syncs recycled pages for the device (<c>MaxLength</c> bytes from <c>Offset</c>).</summary>
    DmaSyncDevice = 2,
}

/// <summary>The kernel's <c>enum dma_data_direction</c>.</summary>
public enum DmaDirection
{
    /// <summary><c>DMA_BIDIRECTIONAL</c>: the device reads and writes the buffer (XDP_TX on RX pages).</summary>
    Bidirectional = 0,

    /// <summary><c>DMA_TO_DEVICE</c>.</summary>
    ToDevice = 1,

    /// <summary><c>DMA_FROM_DEVICE</c>: the device writes received frames.</summary>
    FromDevice = 2,

    /// <summary><c>DMA_NONE</c>.</summary>
    None = 3,
}

/// <summary>Allocation context, the subset of gfp_t that matters to a page pool.</summary>
[Flags]
public enum AllocFlags
{
    /// <summary><c>GFP_ATOMIC</c>: must not block (NAPI, softirq).</summary>
    Atomic = 0,

    /// <summary><c>GFP_KERNEL</c>: the page allocator may block. Never from a NAPI poll.</summary>
    MayBlock = 1,

    /// <summary><c>__GFP_NOWARN</c>: an allocation failure is expected and handled, do not report it.</summary>
    NoWarn = 2,
}

/// <summary>The kernel's <c>enum xdp_mem_type</c>: who owns the memory behind an RX queue's frames.</summary>
public enum MemoryModelType
{
    /// <summary><c>MEM_TYPE_PAGE_SHARED</c>.</summary>
    PageShared,

    /// <summary><c>MEM_TYPE_PAGE_ORDER0</c>.</summary>
    PageOrder0,

    /// <summary><c>MEM_TYPE_PAGE_POOL</c>: frames come from a <see cref="PagePool"/>.</summary>
    PagePool,

    /// <summary><c>MEM_TYPE_XSK_BUFF_POOL</c>: AF_XDP zero-copy buffers.</summary>
    XskBuffPool,
}

/// <summary>XDP program verdicts.</summary>
public enum XdpAction
{
    /// <summary><c>XDP_ABORTED</c>: program error; the frame is dropped.</summary>
    Aborted,

    /// <summary><c>XDP_DROP</c>: drop the frame (recycle the page).</summary>
    Drop,

    /// <summary><c>XDP_PASS</c>: hand the frame to the network stack.</summary>
    Pass,

    /// <summary><c>XDP_TX</c>: transmit the frame back out of the same device.</summary>
    Tx,

    /// <summary><c>XDP_REDIRECT</c>: send the frame to another device, CPU or socket.</summary>
    Redirect,
}

/// <summary>NUMA node constants.</summary>
public static class NumaNode
{
    /// <summary><c>NUMA_NO_NODE</c>: no preference; the pool uses the local node.</summary>
    public const int NoNode = -1;

    /// <summary>The node this process allocates from when no node is asked for (<c>numa_mem_id()</c>); a simulated machine has one node, 0.</summary>
    public const int Local = 0;
}
