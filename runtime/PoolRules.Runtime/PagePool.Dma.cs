using System;
using System.Threading;

namespace PoolRules.Runtime;

public sealed partial class PagePool
{
    // Page._dmaSync states. A put syncs a page only from DmaIdle; Destroy unmaps it only from DmaIdle.
    internal const int DmaIdle = 0;
    internal const int DmaSyncing = 1;
    internal const int DmaUnmapped = 2;

    // pool->dma_mapped (6.16): every page this pool mapped and has not unmapped yet, so that Destroy can unmap the
    // pages still out and the device can go away. Touched where a page is mapped or leaves the pool (slow paths),
    // never by a recycle.
    private readonly object _dmaGate = new();
    private Page[] _dmaMapped = Array.Empty<Page>();
    private int _dmaMappedCount;

    private void TrackMapped(Page page)
    {
        lock (_dmaGate)
        {
            if (_dmaMappedCount == _dmaMapped.Length)
            {
                Array.Resize(ref _dmaMapped, Math.Max(2 * _dmaMapped.Length, CacheSize));
            }

            page._dmaIndex = _dmaMappedCount;
            _dmaMapped[_dmaMappedCount++] = page;
        }
    }

    // dma_unmap_page of a page leaving the pool. A page Destroy already unmapped is only forgotten: the device may
    // be gone by now and must not be called again.
    private void UnmapPage(Page page)
    {
        lock (_dmaGate)
        {
            var index = page._dmaIndex;
            if (index >= 0)
            {
                Untrack(page, index);
                _device!.Unmap(page._dmaAddr, PageAllocator.PageSize << page.Order, _dmaDirection);
            }

            page._dmaAddr = 0;
        }
    }

    private void Untrack(Page page, int index)
    {
        var last = _dmaMapped[--_dmaMappedCount];
        _dmaMapped[index] = last;
        last._dmaIndex = index;
        _dmaMapped[_dmaMappedCount] = null!;
        page._dmaIndex = -1;
    }

    // page_pool_scrub's inflight unmap (6.16): at Destroy, after the caches went back, what is still mapped is with
    // the driver or the stack. Each is unmapped now, once any put syncing it has finished, and its later put or
    // release frees it without reaching the device.
    private void UnmapInflight()
    {
        if (!_dmaMap)
        {
            return;
        }

        lock (_dmaGate)
        {
            while (_dmaMappedCount > 0)
            {
                var page = _dmaMapped[_dmaMappedCount - 1];
                var spin = default(SpinWait);
                while (Interlocked.CompareExchange(ref page._dmaSync, DmaUnmapped, DmaIdle) != DmaIdle)
                {
                    spin.SpinOnce();
                }

                Untrack(page, _dmaMappedCount - 1);
                _device!.Unmap(page._dmaAddr, PageAllocator.PageSize << page.Order, _dmaDirection);
                page._dmaAddr = 0;
            }
        }
    }

    // The sync of a put: a page Destroy unmapped meanwhile is not synced, and Destroy waits for a sync under way.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void SyncForDeviceOnPut(Page page, int dmaSyncSize)
    {
        if (Interlocked.CompareExchange(ref page._dmaSync, DmaSyncing, DmaIdle) != DmaIdle)
        {
            return;
        }

        try
        {
            SyncForDevice(page, dmaSyncSize);
        }
        finally
        {
            Volatile.Write(ref page._dmaSync, DmaIdle);
        }
    }
}
