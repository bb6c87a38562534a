using System;
using System.Runtime.CompilerServices;

namespace PoolRules.Runtime;

public sealed partial class PagePool
{
    // Fragments are aligned to a cache line so two fragments never share one under DMA.
    private const int FragAlignment = 64;

    // page_pool's BIAS_MAX: the pool's share of a fragment page's count while it still carves it, so that the
    // users' puts never reach zero before the pool lets go and no fragment hand-out needs an atomic add.
    private const int FragBias = 1 << 30;

    private Page? _fragPage;
    private int _fragOffset;
    private int _fragUsers;

    /// <summary>
    /// <c>page_pool_alloc_pages</c>: a page from the fast cache, else from the ring, else from the page allocator.
    /// Call only from the pool's NAPI context or where nothing else allocates from or directly recycles into this
    /// pool at the same time.
    /// </summary>
    /// <returns>The page, with one reference; null when none can be had (the kernel's NULL).</returns>
    public Page? AllocPages(AllocFlags flags)
    {
        if (_cacheCount > 0)
        {
            var page = _cache[--_cacheCount];
            _allocFast++;
            if (_put.Checked)
            {
                OnHandOut(page);
            }

            return page;
        }

        return AllocSlow(flags);
    }

    /// <summary><c>page_pool_dev_alloc_pages</c>: <see cref="AllocPages"/> in atomic context, failures expected.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Page? DevAllocPages() => AllocPages(AllocFlags.Atomic | AllocFlags.NoWarn);

    /// <summary>
    /// <c>page_pool_dev_alloc</c> (6.7): a whole page when <paramref name="size"/> is more than half a page (then
    /// <paramref name="size"/> becomes the page length and <paramref name="offset"/> 0), else a fragment of
    /// <paramref name="size"/> bytes as <see cref="AllocFrag"/> carves it. Put the result once, like either.
    /// </summary>
    /// <param name="size">Bytes wanted, 1 to the page size; on return, the bytes the caller may use.</param>
    /// <param name="offset">Where the buffer starts in the returned page.</param>
    public Page? DevAlloc(ref int size, out int offset)
    {
        var max = PageAllocator.PageSize << _order;
        if (size <= 0 || size > max)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"A buffer is 1 to {max} bytes.");
        }

        if (size * 2 > max)
        {
            size = max;
            offset = 0;
            return AllocPages(AllocFlags.Atomic | AllocFlags.NoWarn);
        }

        return AllocFrag(size, out offset);
    }

    /// <summary>
    /// <c>page_pool_alloc_frag</c>: <paramref name="size"/> bytes (rounded up to 64) carved from a shared page.
    /// Put each fragment once, like a page; the page recycles when its last fragment comes back.
    /// </summary>
    /// <param name="size">Bytes wanted, 1 to the page size.</param>
    /// <param name="offset">Where the fragment starts in the returned page.</param>
    public Page? AllocFrag(int size, out int offset)
    {
        var max = PageAllocator.PageSize << _order;
        if (size <= 0 || size > max)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"A fragment is 1 to {max} bytes.");
        }

        size = Math.Min((size + FragAlignment - 1) & ~(FragAlignment - 1), max);
        var page = _fragPage;
        offset = _fragOffset;
        if (page is not null && offset + size > max)
        {
            page = DrainFragment(page);
            if (page is not null)
            {
                _allocFast++;
                return ResetFragment(page, size, out offset);
            }
        }

        if (page is null)
        {
            page = AllocPages(AllocFlags.Atomic | AllocFlags.NoWarn);
            if (page is null)
            {
                offset = 0;
                return null;
            }

            return ResetFragment(page, size, out offset);
        }

        _fragUsers++;
        _fragOffset = offset + size;
        _allocFast++;
        return page;
    }

    private Page ResetFragment(Page page, int size, out int offset)
    {
        _fragPage = page;
        _fragUsers = 1;
        _fragOffset = size;
        offset = 0;
        page._fragCount = FragBias;
        return page;
    }

    // page_pool_drain_frag: the pool stops carving the page. If every fragment already came back the page is the
    // pool's again and is reused at once; otherwise the last fragment's put recycles it.
    private Page? DrainFragment(Page page)
    {
        _fragPage = null;
        if (System.Threading.Interlocked.Add(ref page._fragCount, -(FragBias - _fragUsers)) != 0)
        {
            return null;
        }

        if (page.RefCount == 1)
        {
            if (_put.SyncForDevice)
            {
                SyncForDevice(page, -1);
            }

            return page;
        }

        // Someone took their own reference (get_page) on a fragment: as page_pool_return_page does, release the
        // page and drop only the pool's reference. ReturnPage would free the memory under the other holder.
        ReleaseAndDrop(page);
        return null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Page? AllocSlow(AllocFlags flags)
    {
        if (_destroying)
        {
            throw new ObjectDisposedException(_name, $"Page pool '{_name}' was destroyed; it hands out no more pages.");
        }

        var page = Refill();
        if (page is null)
        {
            page = _order == 0 ? AllocFromAllocatorBulk(flags) : AllocFromAllocatorHighOrder(flags);
        }

        if (page is not null && _put.Checked)
        {
            OnHandOut(page);
        }

        return page;
    }

    // page_pool_refill_alloc_cache: move up to CacheRefill pages from the ring into the fast cache.
    private Page? Refill()
    {
        if (_put.Ring.IsEmpty)
        {
            _allocEmpty++;
            return null;
        }

        var preferred = _nid == NumaNode.NoNode ? NumaNode.Local : _nid;
        do
        {
            var page = _put.Ring.TryConsume();
            if (page is null)
            {
                break;
            }

            if (page.Nid != preferred)
            {
                // A page from another node would make every later access remote: give it back to its node.
                ReturnPage(page);
                _allocWaive++;
                break;
            }

            _cache[_cacheCount++] = page;
        }
        while (_cacheCount < CacheRefill);

        if (_cacheCount == 0)
        {
            return null;
        }

        _allocRefill++;
        return _cache[--_cacheCount];
    }

    // __page_pool_alloc_pages_slow: one bulk call fills the fast cache and serves this allocation.
    private Page? AllocFromAllocatorBulk(AllocFlags flags)
    {
        Span<nint> addresses = stackalloc nint[CacheRefill];
        var nid = _nid == NumaNode.NoNode ? NumaNode.Local : _nid;
        var count = _allocator.AllocBulk(0, nid, flags, addresses);
        for (var i = 0; i < count; i++)
        {
            // A block whose mapping failed is already freed: skip it and go on with the rest, as the kernel does.
            if (NewPage(addresses[i], 0, nid) is not { } page)
            {
                continue;
            }

            _cache[_cacheCount++] = page;
            if (_put.Checked)
            {
                page._state = PageState.Cached;
            }
        }

        if (_cacheCount == 0)
        {
            return null;
        }

        _allocSlow++;
        return _cache[--_cacheCount];
    }

    private Page? AllocFromAllocatorHighOrder(AllocFlags flags)
    {
        var nid = _nid == NumaNode.NoNode ? NumaNode.Local : _nid;
        var address = _allocator.Alloc(_order, nid, flags);
        if (address == 0)
        {
            return null;
        }

        var page = NewPage(address, _order, nid);
        if (page is not null)
        {
            _allocSlowHighOrder++;
        }

        return page;
    }

    // Wraps a fresh block in a descriptor, maps it and starts its accounting. A mapping the device refuses (the
    // kernel's dma_mapping_error) frees the block and counts it; the caller skips it, so nothing leaks and no device
    // exception leaves the NAPI poll.
    private Page? NewPage(nint address, int order, int nid)
    {
        var page = RentDescriptor();
        page.Attach(address, order, nid);
        if (_dmaMap)
        {
            if (TryMap(page) is { } error)
            {
                MapFailed(page, error);
                return null;
            }

            TrackMapped(page);
        }

        page._pool = this;
        _holdCount++;
        if (PagePoolEventSource.Log.IsEnabled())
        {
            PagePoolEventSource.Log.PageHold(Id, page.Address, _holdCount);
        }

        return page;
    }

    private void MapFailed(Page page, Exception error)
    {
        _allocMapFailed++;
        if (PagePoolEventSource.Log.IsEnabled())
        {
            PagePoolEventSource.Log.MapFailed(Id, _name, page.Address, error.Message);
        }

        page.FreeMemory();
    }

    // Null when mapped, else the device's refusal.
    private Exception? TryMap(Page page)
    {
        var mapped = false;
        try
        {
            page._dmaAddr = _device!.Map(page, 0, page.Length, _dmaDirection);
            mapped = true;
            if (_put.SyncForDevice)
            {
                SyncForDevice(page, _maxLength);
            }

            return null;
        }
        catch (Exception ex)
        {
            if (mapped)
            {
                _device!.Unmap(page._dmaAddr, page.Length, _dmaDirection);
            }

            page._dmaAddr = 0;
            return ex;
        }
    }
}
