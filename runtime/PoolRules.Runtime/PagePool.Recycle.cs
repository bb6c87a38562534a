using System;
using System.Collections.Generic;
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
    /// one reference is dropped.
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

        // A fragment page recycles only when its last fragment comes back.
        if (page._fragCount != 0 && Interlocked.Decrement(ref page._fragCount) != 0)
        {
            return;
        }

        if (page._refCount == 1)
        {
            if (_put.SyncForDevice)
            {
                SyncForDevice(page, dmaSyncSize);
            }

            if (_put.Checked)
            {
                OnRecycle(page);
            }

            if (allowDirect)
            {
                if (_cacheCount < _cacheLimit)
                {
                    _cache[_cacheCount++] = page;
                    _recycleCached++;
                    return;
                }

                _recycleCacheFull++;
            }

            if (_put.Ring.TryProduce(page))
            {
                return;
            }

            RecycleRingFull(page);
            return;
        }

        ReleaseShared(page);
    }

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
            _device!.Unmap(page._dmaAddr, PageAllocator.PageSize << page.Order, _dmaDirection);
            page._dmaAddr = 0;
        }

        page._pool = null;
        if (_put.Checked)
        {
            lock (_inflightPages!)
            {
                _inflightPages.Remove(page);
            }
        }

        Interlocked.Increment(ref _shared.ReleaseCount);
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

    private void OnHandOut(Page page)
    {
        page._state = PageState.Inflight;
        page._allocationStack = new System.Diagnostics.StackTrace(2, fNeedFileInfo: false);
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
