using System;
using System.Threading;
using PoolRules.Runtime;

namespace PoolRules.Xdp;

/// <summary>
/// One queue's UMEM: an anonymous mapping of <see cref="Chunks"/> chunks of 4096 bytes that the kernel writes received
/// frames into and reads frames to send from. It is the page allocator behind that queue's page pool: <see cref="Alloc"/>
/// hands out a free chunk (order 0 only) and returns 0 when all are out, as <c>alloc_pages</c> returns NULL.
/// Thread-safe: the pool allocates on its NAPI thread, but a page the stack drops is freed on the stack's thread.
/// </summary>
public sealed class Umem : PageAllocator, IDisposable
{
    /// <summary>The chunk size: one order-0 page.</summary>
    public const int ChunkSize = PageSize;

    private readonly object _gate = new();
    private readonly int[] _free;
    private readonly bool[] _isFree;
    private int _freeCount;
    private nint _base;
    private readonly nuint _length;

    // Mappings not yet unmapped, process-wide: lets tests prove that a failed open leaks no UMEM.
    private static int s_live;

    /// <summary>Maps <paramref name="chunks"/> chunks (MAP_POPULATE, so the kernel pins memory that is already there).</summary>
    public Umem(int chunks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunks, 1);
        _length = (nuint)chunks * ChunkSize;
        _base = Libc.mmap(0, _length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_POPULATE, -1, 0);
        if (_base == -1)
        {
            _base = 0;
            throw XdpException.FromErrno($"mapping a UMEM of {chunks} chunks", "mmap", Libc.Errno);
        }

        Interlocked.Increment(ref s_live);
        Chunks = chunks;
        _free = new int[chunks];
        _isFree = new bool[chunks];
        for (var i = 0; i < chunks; i++)
        {
            // Lowest chunk first out, so a short run touches few of them.
            _free[i] = chunks - 1 - i;
            _isFree[i] = true;
        }

        _freeCount = chunks;
        Device = new UmemDmaDevice(this);
    }

    internal static int LiveMappings => Volatile.Read(ref s_live);

    /// <summary>The first byte of the mapping.</summary>
    public nint Base => _base;

    /// <summary>Its size in bytes.</summary>
    public ulong Length => _length;

    /// <summary>Number of chunks.</summary>
    public int Chunks { get; }

    /// <summary>Chunks not handed out.</summary>
    public int FreeChunks
    {
        get
        {
            lock (_gate)
            {
                return _freeCount;
            }
        }
    }

    /// <summary>The DMA device of this UMEM: a page's bus address is its chunk's offset in the UMEM.</summary>
    public IDmaDevice Device { get; }

    /// <inheritdoc/>
    public override nint Alloc(int order, int nid, AllocFlags flags)
    {
        if (order != 0)
        {
            return 0;
        }

        lock (_gate)
        {
            return Take();
        }
    }

    /// <inheritdoc/>
    public override int AllocBulk(int order, int nid, AllocFlags flags, Span<nint> addresses)
    {
        if (order != 0)
        {
            return 0;
        }

        lock (_gate)
        {
            var n = Math.Min(addresses.Length, _freeCount);
            for (var i = 0; i < n; i++)
            {
                addresses[i] = Take();
            }

            return n;
        }
    }

    /// <inheritdoc/>
    public override void Free(nint address, int order)
    {
        var chunk = ChunkOf(address);
        lock (_gate)
        {
            if (_isFree[chunk])
            {
                throw new InvalidOperationException($"UMEM chunk {chunk} freed twice.");
            }

            _isFree[chunk] = true;
            _free[_freeCount++] = chunk;
        }
    }

    /// <summary>The chunk index of an address inside the mapping.</summary>
    public int ChunkOf(nint address)
    {
        var offset = (ulong)(address - _base);
        if (_base == 0 || offset >= _length)
        {
            throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:x} is not in this UMEM.");
        }

        return (int)(offset / ChunkSize);
    }

    /// <summary>Unmaps the memory; only once no page of it is in use (its pool freed, its sockets closed).</summary>
    public void Dispose()
    {
        if (_base != 0)
        {
            _ = Libc.munmap(_base, _length);
            _base = 0;
            Interlocked.Decrement(ref s_live);
        }
    }

    private nint Take()
    {
        if (_freeCount == 0)
        {
            return 0;
        }

        var chunk = _free[--_freeCount];
        _isFree[chunk] = false;
        return _base + (nint)chunk * ChunkSize;
    }

    private sealed class UmemDmaDevice(Umem umem) : IDmaDevice
    {
        public ulong Map(Page page, int offset, int length, DmaDirection dir) => (ulong)umem.ChunkOf(page.Address) * ChunkSize + (ulong)offset;

        // The kernel copies to and from the UMEM (copy mode) or the NIC writes it coherently: nothing to unmap or sync.
        public void Unmap(ulong addr, int length, DmaDirection dir)
        {
        }

        public void SyncForDevice(ulong addr, int offset, int length, DmaDirection dir)
        {
        }

        public void SyncForCpu(ulong addr, int offset, int length, DmaDirection dir)
        {
        }
    }
}
