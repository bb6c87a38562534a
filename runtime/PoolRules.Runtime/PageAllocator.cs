using System;
using System.Runtime.InteropServices;

namespace PoolRules.Runtime;

/// <summary>
/// The page allocator a pool falls back to when its caches are empty (the kernel's buddy allocator behind
/// <c>alloc_pages_bulk</c>). Subclass it to count, limit or fail allocations; <see cref="Default"/> hands out
/// page-aligned native memory.
/// </summary>
public abstract class PageAllocator
{
    /// <summary>The base page size; a page of order n is <c>PageSize &lt;&lt; n</c> bytes.</summary>
    public const int PageSize = 4096;

    /// <summary>Page-aligned native memory from <see cref="NativeMemory.AlignedAlloc"/>.</summary>
    public static PageAllocator Default { get; } = new NativePageAllocator();

    /// <summary>Allocates one page-aligned block of <c>PageSize &lt;&lt; order</c> bytes on node <paramref name="nid"/>; returns 0 when none can be had.</summary>
    public abstract nint Alloc(int order, int nid, AllocFlags flags);

    /// <summary>Frees a block returned by <see cref="Alloc"/>.</summary>
    public abstract void Free(nint address, int order);

    /// <summary>
    /// Fills <paramref name="addresses"/> with as many blocks as can be had, stopping at the first failure; returns
    /// how many. Override where a batch is cheaper than single calls.
    /// </summary>
    public virtual int AllocBulk(int order, int nid, AllocFlags flags, Span<nint> addresses)
    {
        for (var i = 0; i < addresses.Length; i++)
        {
            var address = Alloc(order, nid, flags);
            if (address == 0)
            {
                return i;
            }

            addresses[i] = address;
        }

        return addresses.Length;
    }

    private sealed class NativePageAllocator : PageAllocator
    {
        public override unsafe nint Alloc(int order, int nid, AllocFlags flags)
        {
            try
            {
                return (nint)NativeMemory.AlignedAlloc((nuint)(PageSize << order), PageSize);
            }
            catch (OutOfMemoryException)
            {
                // The kernel's NULL from alloc_pages: the pool reports it as a null page, not an exception.
                return 0;
            }
        }

        public override unsafe void Free(nint address, int order) => NativeMemory.AlignedFree((void*)address);
    }
}
