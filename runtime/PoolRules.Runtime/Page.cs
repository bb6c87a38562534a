using System;
using System.Diagnostics;
using System.Threading;

namespace PoolRules.Runtime;

/// <summary>
/// The kernel's <c>struct page</c>: a page-aligned block of native memory with a reference count. While it came
/// from a <see cref="PagePool"/> and was not released, the pool accounts for it (it is inflight) and keeps its DMA
/// mapping; return it with <see cref="PagePool.PutPage"/>, <see cref="PagePool.PutFullPage"/> or
/// <see cref="PagePool.RecycleDirect"/>, or take it out of the pool with <see cref="PagePool.ReleasePage"/> and
/// drop it with <see cref="Put"/>.
/// </summary>
public sealed class Page
{
    // Descriptors are reused like the kernel's mem_map entries; these are rewritten when a block is attached.
    private nint _address;
    private int _order;
    private int _nid;

    internal int _refCount;

    // page->pp: the pool that accounts for this page; null once released.
    internal PagePool? _pool;

    // page->dma_addr, valid while _pool maps it.
    internal ulong _dmaAddr;

    // page->pp_frag_count: outstanding fragments plus the pool's bias while it carves this page (0 = not a fragment page).
    internal int _fragCount;

    // The page's slot in its pool's list of mapped pages (page->pp_magic's xarray index in 6.16); -1 when not listed.
    internal int _dmaIndex = -1;

    // PagePool.DmaIdle, DmaSyncing or DmaUnmapped: lets Destroy unmap a page a put is syncing only after the sync.
    internal int _dmaSync;

    // Only written in checked mode; in unchecked mode it stays Inflight, so the checks below cost one compare.
    internal PageState _state;
    internal StackTrace? _allocationStack;

    private readonly PageAllocator _allocator;
    private readonly PagePool? _home;

    internal Page(PageAllocator allocator, PagePool? home)
    {
        _allocator = allocator;
        _home = home;
        _state = PageState.Free;
    }

    /// <summary>Virtual address of the first byte.</summary>
    public nint Address => _address;

    /// <summary>The page is <c>4096 &lt;&lt; Order</c> bytes.</summary>
    public int Order => _order;

    /// <summary>Size in bytes.</summary>
    public int Length => PageAllocator.PageSize << _order;

    /// <summary>The NUMA node the memory was allocated on.</summary>
    public int Nid => _nid;

    /// <summary>References held (<c>page_ref_count</c>); the pool recycles a put page only while this is 1.</summary>
    public int RefCount => Volatile.Read(ref _refCount);

    /// <summary>The pool that accounts for this page (<c>page->pp</c>); null after <see cref="PagePool.ReleasePage"/>.</summary>
    public PagePool? Pool => _pool;

    /// <summary>The page's memory. In checked mode, touching a page that went back to its pool throws.</summary>
    public unsafe Span<byte> Span
    {
        get
        {
            if (_state >= PageState.Cached)
            {
                ThrowUseAfterPut(nameof(Span));
            }

            return new Span<byte>((void*)_address, PageAllocator.PageSize << _order);
        }
    }

    /// <summary><c>get_page</c>: takes another reference. A page with more than one reference is not recycled but released on put.</summary>
    public void Get()
    {
        if (_state >= PageState.Cached)
        {
            ThrowUseAfterPut(nameof(Get));
        }

        Interlocked.Increment(ref _refCount);
    }

    /// <summary><c>put_page</c>: drops a reference; the last one frees the memory (and ends the pool's accounting if it was never released).</summary>
    public void Put()
    {
        if (_state >= PageState.Cached)
        {
            ThrowUseAfterPut(nameof(Put));
        }

        var refs = Interlocked.Decrement(ref _refCount);
        if (refs > 0)
        {
            return;
        }

        if (refs < 0)
        {
            Interlocked.Increment(ref _refCount);
            throw new InvalidOperationException("Page.Put: the page has no reference left (put after the last put).");
        }

        // put_page on a pool page that was never released: end its accounting here so the pool's inflight count
        // cannot stall its shutdown forever.
        _pool?.ReleaseDma(this);
        FreeMemory();
    }

    internal void Attach(nint address, int order, int nid)
    {
        _address = address;
        _order = order;
        _nid = nid;
        _refCount = 1;
        _fragCount = 0;
        _dmaAddr = 0;
        _dmaIndex = -1;
        _dmaSync = 0;
        _state = PageState.Inflight;
    }

    internal void FreeMemory()
    {
        var address = _address;
        _address = 0;
        _state = PageState.Free;
        _allocationStack = null;
        _allocator.Free(address, _order);
        _home?.ReturnDescriptor(this);
    }

    internal void ThrowUseAfterPut(string operation) =>
        throw new InvalidOperationException(
            _state == PageState.Free
                ? $"Page.{operation}: the page was freed (use after free)."
                : $"Page.{operation}: the page was put back to its pool (use after put).");
}

/// <summary>Where a page is; tracked in checked mode only. Ordered so that a single compare tells usable from not.</summary>
internal enum PageState : byte
{
    Inflight = 0,
    Released = 1,
    Cached = 2,
    Free = 3,
}
