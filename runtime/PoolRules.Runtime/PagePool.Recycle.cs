using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace PoolRules.Runtime;

public sealed partial class PagePool
{
    // PAGE_POISON: what a recycled page reads as in checked mode, so a use after put shows up as garbage.
    private const byte Poison = 0xAA;
    private const int MaxSpareDescriptors = 1024;

    private readonly object _descriptorGate = new();
    private readonly Page[] _spareDescriptors = new Page[MaxSpareDescriptors];
    private int _spareCount;

    /// <summary>
    /// <c>page_pool_put_page</c>: gives the page back. With one reference it is recycled: synced for the device
    /// (<see cref="PagePoolFlags.DmaSyncDevice"/>, <paramref name="dmaSyncSize"/> bytes, -1 for
    /// <see cref="PagePoolParams.MaxLength"/>), then into the fast cache when <paramref name="allowDirect"/>, else into
    /// the ring, else (ring full) back to the page allocator. With more references it is released from the pool and
    /// one reference is dropped. A put made on the poll thread of the pool's <see cref="PagePoolParams.Napi"/> while it
    /// is enabled goes to the fast cache even without <paramref name="allowDirect"/> (the kernel's NAPI-local
    /// recycling, 6.10). After <see cref="Destroy"/> unmapped the page, it is freed without a call to the device.
    /// </summary>
    /// <param name="page">A page this pool handed out; the caller gives up its use.</param>
    /// <param name="dmaSyncSize">Bytes the device may have written, -1 for all.</param>
    /// <param name="allowDirect">The caller's promise that it runs in the pool's NAPI context (verified in checked mode).</param>
    public void PutPage(Page page, int dmaSyncSize, bool allowDirect)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (_put.Checked)
        {
            CheckPut(page, allowDirect);
        }

        if (PutUnlessRing(page, dmaSyncSize, allowDirect || IsNapiLocal()) && !_put.Ring.TryProduce(page))
        {
            RecycleRingFull(page);
        }
    }

    // __page_pool_put_page: the caller's use of the page ends. True when the page is the pool's alone again and
    // bound for the ring (not cached, not released, not a fragment others still hold).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool PutUnlessRing(Page page, int dmaSyncSize, bool direct)
    {
        // A fragment page recycles only when its last fragment comes back.
        if (page._fragCount != 0 && Interlocked.Decrement(ref page._fragCount) != 0)
        {
            return false;
        }

        if (page._refCount != 1)
        {
            ReleaseShared(page);
            return false;
        }

        if (_put.SyncForDevice)
        {
            SyncForDeviceOnPut(page, dmaSyncSize);
        }

        if (_put.Checked)
        {
            OnRecycle(page);
        }

        if (direct)
        {
            if (_cacheCount < _cacheLimit)
            {
                _cache[_cacheCount++] = page;
                _recycleCached++;
                return false;
            }

            _recycleCacheFull++;
        }

        return true;
    }

    /// <summary>
    /// <c>page_pool_put_netmem_bulk</c> (5.11, mixed pools 6.14): gives every page back to its own pool as
    /// <see cref="PutFullPage"/>(page, allowDirect: false) does (the same refcount, fragment and sync rules, and the
    /// fast cache where the caller runs in that pool's NAPI poll), with one ring transaction per pool for the pages
    /// bound for its ring (one per 64 pages of the span where a pool has more).
    /// </summary>
    /// <exception cref="ArgumentException">A page belongs to no pool; then no page was given back.</exception>
    public static void PutPagesBulk(ReadOnlySpan<Page> pages)
    {
        var onePool = true;
        for (var i = 0; i < pages.Length; i++)
        {
            if (pages[i] is not { } page)
            {
                throw new ArgumentNullException(nameof(pages), $"pages[{i}] is null.");
            }

            if (page._pool is null)
            {
                throw new ArgumentException($"pages[{i}] belongs to no page pool (released, or never from one).", nameof(pages));
            }

            onePool &= page._pool == pages[0]._pool;
        }

        if (onePool && pages.Length > 0)
        {
            pages[0]._pool!.PutBulk(pages, 0);
            return;
        }

        // Pool by pool, in order of first appearance. A page already given back shows its pool (or none, once it
        // left it), so the scan for the next pool skips it.
        var done = new PoolSet();
        PagePool? last = null;
        for (var first = 0; first < pages.Length; first++)
        {
            // A run of one pool's pages (the usual batch: one RX queue's) costs one compare per page here.
            var pool = pages[first]._pool;
            if (pool == last || pool is null || done.Contains(pool))
            {
                continue;
            }

            done.Add(pool);
            last = pool;
            pool.PutBulk(pages, first);
        }
    }

    private void PutBulk(ReadOnlySpan<Page> pages, int first)
    {
        // Decided once per pool, as the kernel does.
        var direct = IsNapiLocal();

        // 64 positions at a time: a bit per page bound for the ring, then one ring transaction for them. No page
        // reference is copied on the way (each copy would cost a GC write barrier).
        for (var chunk = first; chunk < pages.Length; chunk += 64)
        {
            var window = pages.Slice(chunk, Math.Min(64, pages.Length - chunk));
            var ring = 0UL;
            for (var i = 0; i < window.Length; i++)
            {
                var page = window[i];
                if (page._pool != this)
                {
                    continue;
                }

                if (_put.Checked)
                {
                    CheckPutInBatch(page, window, ring);
                }

                if (PutUnlessRing(page, -1, direct))
                {
                    ring |= 1UL << i;
                }
            }

            if (ring != 0)
            {
                RecycleRingBulk(window, ring);
            }
        }
    }

    // A check that refuses a page still rings the pages before it: they were already given up. Out of line, so the
    // unchecked loop carries no exception handling (which would keep its locals in memory).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CheckPutInBatch(Page page, ReadOnlySpan<Page> window, ulong ring)
    {
        try
        {
            CheckPut(page, allowDirect: false);
        }
        catch
        {
            if (ring != 0)
            {
                RecycleRingBulk(window, ring);
            }

            throw;
        }
    }

    // page_pool_recycle_ring_bulk: the window's marked pages into the ring with one claim, in order; what does not
    // fit goes back to the page allocator.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecycleRingBulk(ReadOnlySpan<Page> window, ulong ring)
    {
        var claimed = _put.Ring.TryClaim(BitOperations.PopCount(ring), out var pos);
        for (; ring != 0; ring &= ring - 1)
        {
            var page = window[BitOperations.TrailingZeroCount(ring)];
            if (claimed > 0)
            {
                _put.Ring.Fill(pos++, page);
                claimed--;
            }
            else
            {
                RecycleRingFull(page);
            }
        }
    }

    // The pools a bulk put has done: a few inline, more on the heap (a batch seldom spans more than a few queues).
    private struct PoolSet
    {
        private PoolsInline _inline;
        private int _count;
        private List<PagePool>? _more;

        public readonly bool Contains(PagePool pool)
        {
            for (var i = 0; i < Math.Min(_count, PoolsInline.Length); i++)
            {
                if (_inline[i] == pool)
                {
                    return true;
                }
            }

            return _more is not null && _more.Contains(pool);
        }

        public void Add(PagePool pool)
        {
            if (_count < PoolsInline.Length)
            {
                _inline[_count] = pool;
            }
            else
            {
                (_more ??= new List<PagePool>()).Add(pool);
            }

            _count++;
        }
    }

    [InlineArray(Length)]
    private struct PoolsInline
    {
        public const int Length = 8;
        private PagePool _first;
    }

    // page_pool_napi_local (6.10): a put on the pool's own NAPI poll owns the fast cache as a direct one does,
    // whatever the caller said. Off that poll it costs a stack-address compare; on it, a disabling NAPI (which
    // IsCurrentPoll sees) or a destroyed pool sends the page to the ring.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsNapiLocal() => _napi is { } napi && napi.IsCurrentPoll() && !_destroying;

    /// <summary><c>page_pool_put_full_page</c>: <see cref="PutPage"/> syncing the whole <see cref="PagePoolParams.MaxLength"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PutFullPage(Page page, bool allowDirect) => PutPage(page, -1, allowDirect);

    /// <summary><c>page_pool_recycle_direct</c>: straight into the fast cache. Only from the pool's NAPI context.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void RecycleDirect(Page page) => PutPage(page, -1, allowDirect: true);

    /// <summary>
    /// <c>page_pool_release_page</c>: the page leaves the pool (unmapped, no longer counted inflight). The caller
    /// keeps its reference and drops it with <see cref="Page.Put"/> when done (for example after the network stack
    /// consumed the frame).
    /// </summary>
    public void ReleasePage(Page page)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (_put.Checked)
        {
            CheckOwned(page, nameof(ReleasePage));
        }

        ReleaseDma(page);
        if (_put.Checked)
        {
            page._state = PageState.Released;
        }
    }

    // Unmaps the page and ends its accounting (page_pool_release_page's work). Also reached from Page.Put when the
    // last reference of a never-released page goes.
    internal void ReleaseDma(Page page)
    {
        if (_dmaMap)
        {
            UnmapPage(page);
        }

        page._pool = null;
        if (_put.Checked)
        {
            lock (_inflightPages!)
            {
                _inflightPages.Remove(page);
            }
        }

        var released = Interlocked.Increment(ref _shared.ReleaseCount);
        if (PagePoolEventSource.Log.IsEnabled())
        {
            PagePoolEventSource.Log.PageRelease(Id, page.Address, released);
        }

        if (_destroying)
        {
            // After Destroy every page that leaves the pool, by a put, a release or its last Page.Put, may be the
            // last one out: then the pool is freed now, not at the next retry.
            TryFinishShutdown();
        }
    }

    // page_pool_return_page: release and free a page that is the pool's alone.
    private void ReturnPage(Page page)
    {
        ReleaseDma(page);
        page._refCount = 0;
        page.FreeMemory();
    }

    // Every page in the fast cache back to the page allocator (destroy, a NUMA node change).
    private void FlushCache()
    {
        while (_cacheCount > 0)
        {
            ReturnPage(_cache[--_cacheCount]);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecycleRingFull(Page page)
    {
        Interlocked.Increment(ref _shared.RingFull);
        ReturnPage(page);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReleaseShared(Page page)
    {
        Interlocked.Increment(ref _shared.ReleasedRefcount);
        ReleaseAndDrop(page);
    }

    // The page leaves the pool and the pool's reference goes; another holder keeps the memory alive.
    private void ReleaseAndDrop(Page page)
    {
        ReleaseDma(page);
        if (_put.Checked)
        {
            page._state = PageState.Released;
        }

        page.Put();
    }

    private void SyncForDevice(Page page, int dmaSyncSize)
    {
        var length = (uint)dmaSyncSize > (uint)_maxLength ? _maxLength : dmaSyncSize;
        _device!.SyncForDevice(page._dmaAddr, _offset, length, _dmaDirection);
    }

    internal Page RentDescriptor()
    {
        lock (_descriptorGate)
        {
            if (_spareCount > 0)
            {
                return _spareDescriptors[--_spareCount];
            }
        }

        return new Page(_allocator, this);
    }

    internal void ReturnDescriptor(Page page)
    {
        // Checked mode never reuses a descriptor, so a stale reference keeps seeing a freed page.
        if (_put.Checked)
        {
            return;
        }

        lock (_descriptorGate)
        {
            if (_spareCount < MaxSpareDescriptors)
            {
                _spareDescriptors[_spareCount++] = page;
            }
        }
    }

    // ---- checked mode ----

    private readonly HashSet<Page>? _inflightPages;

    // Never inlined, and only its own frame skipped: with a fixed count of frames to skip, a tier-1 JIT that inlines
    // the allocation into the caller would cut the caller's frame out of the stack it reports.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnHandOut(Page page)
    {
        page._state = PageState.Inflight;
        page._allocationStack = new System.Diagnostics.StackTrace(1, fNeedFileInfo: false);
        lock (_inflightPages!)
        {
            _inflightPages.Add(page);
        }
    }

    private unsafe void OnRecycle(Page page)
    {
        page._state = PageState.Cached;
        page._allocationStack = null;
        lock (_inflightPages!)
        {
            _inflightPages.Remove(page);
        }

        new Span<byte>((void*)page.Address, page.Length).Fill(Poison);
    }

    private void CheckPut(Page page, bool allowDirect)
    {
        CheckOwned(page, allowDirect ? "RecycleDirect/PutPage(allowDirect: true)" : nameof(PutPage));
        if (allowDirect && _napi is not null && Napi.Current != _napi)
        {
            throw new InvalidOperationException(
                $"Page pool '{_name}': direct recycling outside the poll of its NAPI context '{_napi.Name}' " +
                $"(current: {(Napi.Current is { } current ? $"poll of '{current.Name}'" : "no NAPI poll")}); use PutFullPage(page, allowDirect: false).");
        }
    }

    private void CheckOwned(Page page, string operation)
    {
        if (page._state == PageState.Cached)
        {
            throw new InvalidOperationException($"{operation}: the page is already back in page pool '{_name}' (double put or use after put).");
        }

        if (page._state == PageState.Free)
        {
            throw new InvalidOperationException($"{operation}: the page was already freed (use after free).");
        }

        if (page._pool != this)
        {
            throw new InvalidOperationException(page._pool is null
                ? $"{operation}: the page does not belong to page pool '{_name}' (released, or never from a pool)."
                : $"{operation}: the page belongs to page pool '{page._pool._name}', not '{_name}'.");
        }
    }
}
