using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace PoolRules.Runtime;

/// <summary>
/// The kernel's <c>struct page_pool</c>: pages for one RX queue, recycled through a lockless fast cache owned by
/// the queue's NAPI context and a ptr-ring that other threads return pages into, backed by the page allocator.
/// Create one pool per hardware RX queue.
/// </summary>
public sealed partial class PagePool : IDisposable
{
    /// <summary><c>PP_ALLOC_CACHE_SIZE</c>: entries in the fast cache.</summary>
    public const int CacheSize = 128;

    /// <summary><c>PP_ALLOC_CACHE_REFILL</c>: pages moved from the ring (or the page allocator) per refill.</summary>
    public const int CacheRefill = 64;

    /// <summary>Ring size when <see cref="PagePoolParams.PoolSize"/> is 0.</summary>
    public const int DefaultPoolSize = 1024;

    /// <summary>Largest <see cref="PagePoolParams.PoolSize"/> (the kernel refuses more with -E2BIG).</summary>
    public const int MaxPoolSize = 32768;

    /// <summary>Largest <see cref="PagePoolParams.Order"/> (4 MiB pages).</summary>
    public const int MaxOrder = 10;

    // Hot fields, owned by the NAPI context: the fast cache and its counters. Plain fields, no interlocked
    // operations: the caller of AllocPages and of a direct put guarantees exclusivity, as in the kernel.
    private readonly Page[] _cache = new Page[CacheSize];
    private int _cacheCount;
    private int _cacheLimit = CacheSize;
    private readonly bool _dmaMap;
    private readonly int _order;
    private int _nid;
    private long _holdCount;
    private long _allocFast;
    private long _allocSlow;
    private long _allocSlowHighOrder;
    private long _allocEmpty;
    private long _allocRefill;
    private long _allocWaive;
    private long _allocMapFailed;
    private long _recycleCached;
    private long _recycleCacheFull;

    // What a put from any thread reads, alone on its cache lines (see PutSettings).
    private readonly PutSettings _put;

    // Written from any thread that returns pages; kept off the hot fields' cache lines.
    private readonly SharedCounters _shared = new();

    private readonly IDmaDevice? _device;
    private readonly DmaDirection _dmaDirection;
    private readonly int _maxLength;
    private readonly int _offset;
    private readonly PageAllocator _allocator;
    private readonly Napi? _napi;
    private readonly bool _allowSharedQueues;
    private readonly string _name;

    private PagePool(PagePoolParams p, int poolSize)
    {
        _put = new PutSettings(new PtrRing<Page>(poolSize), p.Checked, (p.Flags & PagePoolFlags.DmaSyncDevice) != 0);
        _dmaMap = (p.Flags & PagePoolFlags.DmaMap) != 0;
        _order = p.Order;
        _nid = p.Nid;
        _device = p.Device;
        _dmaDirection = p.DmaDirection;
        _maxLength = p.MaxLength;
        _offset = p.Offset;
        _allocator = p.PageAllocator ?? PageAllocator.Default;
        _napi = p.Napi;
        _allowSharedQueues = p.AllowSharedQueues;
        _name = p.Name ?? "page_pool";
        _timeProvider = p.TimeProvider ?? TimeProvider.System;
        _retryPeriod = p.ShutdownRetryPeriod;
        _warnPeriod = p.ShutdownWarnPeriod;
        _inflightPages = _put.Checked ? new HashSet<Page>(ReferenceEqualityComparer.Instance) : null;
    }

    /// <summary>The name given in <see cref="PagePoolParams.Name"/>, for diagnostics.</summary>
    public string Name => _name;

    /// <summary><c>page_pool_get_dma_dir</c>: the direction pages are mapped with.</summary>
    public DmaDirection DmaDirection => _dmaDirection;

    /// <summary>Pages are <c>4096 &lt;&lt; Order</c> bytes.</summary>
    public int Order => _order;

    /// <summary>The preferred NUMA node (<see cref="NumaNode.NoNode"/> for the local one).</summary>
    public int Nid => Volatile.Read(ref _nid);

    /// <summary>The NAPI instance that owns the fast cache, if the pool was given one.</summary>
    public Napi? Napi => _napi;

    /// <summary>Slots in the ptr-ring: <see cref="PagePoolParams.PoolSize"/> rounded up to a power of two (at least 2).</summary>
    public int RingCapacity => _put.Ring.Capacity;

    /// <summary>
    /// Pages taken from the page allocator and not yet given back (<c>hold_cnt - release_cnt</c>): pages with the
    /// driver plus pages waiting in the pool's caches. After <see cref="Destroy"/> empties the caches it counts the
    /// pages the driver still holds.
    /// </summary>
    /// <remarks>
    /// The release count is read first, as the kernel's <c>page_pool_inflight</c> does: every release follows its
    /// hold, so holds read afterwards are at least as many and the difference never reads below zero.
    /// </remarks>
    public long Inflight
    {
        get
        {
            var released = Volatile.Read(ref _shared.ReleaseCount);
            return Volatile.Read(ref _holdCount) - released;
        }
    }

    /// <summary><c>page_pool_create</c>: validates the parameters like <c>page_pool_init</c> and creates the pool.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentException">A combination the kernel refuses with -EINVAL; the message names the field.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value out of range (pool size over 32768 is the kernel's -E2BIG); the message names the field.</exception>
    public static PagePool Create(PagePoolParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var p = parameters;
        const string arg = nameof(parameters);

        if ((p.Flags & ~(PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice)) != 0)
        {
            throw new ArgumentException($"PagePoolParams.Flags has unknown bits 0x{(int)p.Flags:x}.", arg);
        }

        if (p.Order < 0 || p.Order > MaxOrder)
        {
            throw new ArgumentException($"PagePoolParams.Order is {p.Order}; it must be 0 to {MaxOrder}.", arg);
        }

        if (p.PoolSize < 0 || p.PoolSize > MaxPoolSize)
        {
            throw new ArgumentOutOfRangeException(arg, p.PoolSize, $"PagePoolParams.PoolSize must be 0 (default {DefaultPoolSize}) to {MaxPoolSize}.");
        }

        if (p.Nid < NumaNode.NoNode)
        {
            throw new ArgumentOutOfRangeException(arg, p.Nid, "PagePoolParams.Nid must be a node number or NumaNode.NoNode.");
        }

        if (!Enum.IsDefined(p.DmaDirection))
        {
            throw new ArgumentException($"PagePoolParams.DmaDirection {(int)p.DmaDirection} is not a DmaDirection.", arg);
        }

        var pageLength = PageAllocator.PageSize << p.Order;
        if (p.Offset < 0 || p.Offset >= pageLength)
        {
            throw new ArgumentOutOfRangeException(arg, p.Offset, $"PagePoolParams.Offset must lie inside the {pageLength}-byte page.");
        }

        if (p.MaxLength < 0 || p.Offset + p.MaxLength > pageLength)
        {
            throw new ArgumentOutOfRangeException(arg, p.MaxLength, $"PagePoolParams.MaxLength plus Offset must fit the {pageLength}-byte page.");
        }

        if ((p.Flags & PagePoolFlags.DmaMap) != 0)
        {
            // The device reads RX pages only for XDP_TX, so only these two directions make sense for a pool.
            if (p.DmaDirection != DmaDirection.FromDevice && p.DmaDirection != DmaDirection.Bidirectional)
            {
                throw new ArgumentException($"PagePoolParams.DmaDirection is {p.DmaDirection}; with DmaMap it must be FromDevice or Bidirectional.", arg);
            }

            if (p.Device is null)
            {
                throw new ArgumentException("PagePoolParams.Device is null; DmaMap needs the device to map pages for.", arg);
            }
        }

        if ((p.Flags & PagePoolFlags.DmaSyncDevice) != 0)
        {
            // Syncing needs the mapping the pool made, and a length to sync.
            if ((p.Flags & PagePoolFlags.DmaMap) == 0)
            {
                throw new ArgumentException("PagePoolParams.Flags has DmaSyncDevice without DmaMap.", arg);
            }

            if (p.MaxLength == 0)
            {
                throw new ArgumentException("PagePoolParams.MaxLength is 0; DmaSyncDevice needs the length to sync.", arg);
            }
        }

        if (p.ShutdownRetryPeriod <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(arg, p.ShutdownRetryPeriod, "PagePoolParams.ShutdownRetryPeriod must be positive.");
        }

        if (p.ShutdownWarnPeriod <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(arg, p.ShutdownWarnPeriod, "PagePoolParams.ShutdownWarnPeriod must be positive.");
        }

        var pool = new PagePool(p, p.PoolSize == 0 ? DefaultPoolSize : p.PoolSize);
        pool.AddToLive();
        return pool;
    }

    /// <summary><c>page_pool_get_dma_addr</c>: the bus address the pool mapped the page at.</summary>
    /// <exception cref="InvalidOperationException">The pool was created without <see cref="PagePoolFlags.DmaMap"/>.</exception>
    public ulong GetDmaAddress(Page page)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (!_dmaMap)
        {
            throw new InvalidOperationException($"Page pool '{_name}' has no DmaMap flag: it does not map pages, so they have no DMA address.");
        }

        if (_put.Checked)
        {
            CheckOwned(page, nameof(GetDmaAddress));
        }

        return page._dmaAddr;
    }

    /// <summary>
    /// <c>page_pool_update_nid</c>: prefer another NUMA node from now on. The fast cache is flushed back to the page
    /// allocator (the pages in it sit on the old node), so the next allocation comes from the new node; pages on the
    /// old node that come back through the ring are waived at refill. Call it where <see cref="AllocPages"/> may be
    /// called (the pool's NAPI context), as the kernel's drivers do from their poll.
    /// </summary>
    public void UpdateNid(int nid)
    {
        if (nid < NumaNode.NoNode)
        {
            throw new ArgumentOutOfRangeException(nameof(nid), nid, "A node number or NumaNode.NoNode.");
        }

        Volatile.Write(ref _nid, nid);
        FlushCache();
    }

    /// <summary>A snapshot of the pool's counters (<c>page_pool_get_stats</c>).</summary>
    public PagePoolStats GetStats() => new()
    {
        AllocFast = Volatile.Read(ref _allocFast),
        AllocSlow = Volatile.Read(ref _allocSlow),
        AllocSlowHighOrder = Volatile.Read(ref _allocSlowHighOrder),
        AllocEmpty = Volatile.Read(ref _allocEmpty),
        AllocRefill = Volatile.Read(ref _allocRefill),
        AllocWaive = Volatile.Read(ref _allocWaive),
        AllocMapFailed = Volatile.Read(ref _allocMapFailed),
        RecycleCached = Volatile.Read(ref _recycleCached),
        RecycleCacheFull = Volatile.Read(ref _recycleCacheFull),
        RecycleRing = _put.Ring.Produced,
        RecycleRingFull = Volatile.Read(ref _shared.RingFull),
        RecycleReleasedRefcount = Volatile.Read(ref _shared.ReleasedRefcount),
    };

    /// <inheritdoc/>
    public override string ToString() => $"PagePool '{_name}' (order {_order}, inflight {Inflight})";

    /// <summary>
    /// The fields every put reads, from the NAPI context and from the threads that return pages through the ring,
    /// padded onto cache lines of their own: next to the counters the NAPI context bumps on every allocation they
    /// would cost each returning thread a cache miss per page (the kernel keeps pool->alloc on its own line for the
    /// same reason). Written once, at creation.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 136)]
    private readonly struct PutSettings
    {
        [FieldOffset(64)]
        public readonly PtrRing<Page> Ring;
        [FieldOffset(72)]
        public readonly bool Checked;
        [FieldOffset(73)]
        public readonly bool SyncForDevice;

        public PutSettings(PtrRing<Page> ring, bool isChecked, bool syncForDevice)
        {
            Ring = ring;
            Checked = isChecked;
            SyncForDevice = syncForDevice;
        }
    }

    private sealed class SharedCounters
    {
        public long ReleaseCount;
        public long RingFull;
        public long ReleasedRefcount;
    }
}
