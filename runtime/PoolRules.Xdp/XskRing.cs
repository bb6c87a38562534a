using System.Runtime.InteropServices;
using System.Threading;

namespace PoolRules.Xdp;

/// <summary>An RX or TX descriptor (<c>struct xdp_desc</c>): a UMEM address, a length, options.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct XdpDescriptor
{
    /// <summary>Offset of the frame in the UMEM (chunk start plus headroom).</summary>
    public ulong Address;

    /// <summary>Frame length.</summary>
    public uint Length;

    /// <summary>Descriptor options (0).</summary>
    public uint Options;
}

/// <summary>
/// One of an AF_XDP socket's four rings, mapped from the kernel. Producer rings (fill, TX): <see cref="Reserve"/>, write
/// entries, <see cref="Submit"/> (release store of the producer index). Consumer rings (RX, completion): <see cref="Peek"/>
/// (acquire load of the producer index), read entries, <see cref="Release"/>. Indexes wrap; entries are addressed by the
/// absolute index <see cref="Reserve"/> or <see cref="Peek"/> returned plus an offset. One thread per ring.
/// </summary>
public sealed unsafe class XskRing
{
    private readonly uint* _producer;
    private readonly uint* _consumer;
    private readonly uint* _flags;
    private readonly byte* _entries;
    private readonly uint _mask;
    private uint _cachedProducer;
    private uint _cachedConsumer;

    internal XskRing(nint map, ulong producer, ulong consumer, ulong desc, ulong flags, uint size)
    {
        _producer = (uint*)(map + (nint)producer);
        _consumer = (uint*)(map + (nint)consumer);
        _flags = (uint*)(map + (nint)flags);
        _entries = (byte*)(map + (nint)desc);
        Size = size;
        _mask = size - 1;
        _cachedProducer = Volatile.Read(ref *_producer);
        _cachedConsumer = Volatile.Read(ref *_consumer);
    }

    /// <summary>Entries in the ring.</summary>
    public uint Size { get; }

    /// <summary>The kernel asks for a <c>sendto</c>/<c>poll</c> wakeup (XDP_RING_NEED_WAKEUP).</summary>
    public bool NeedsWakeup => (Volatile.Read(ref *_flags) & 1) != 0;

    /// <summary>Producer side: up to <paramref name="wanted"/> free entries from <paramref name="start"/>; how many.</summary>
    public uint Reserve(uint wanted, out uint start)
    {
        start = _cachedProducer;
        var free = Size - (_cachedProducer - _cachedConsumer);
        if (free < wanted)
        {
            // Only when the cached view runs short: the acquire load pairs with the kernel's consumer release.
            _cachedConsumer = Volatile.Read(ref *_consumer);
            free = Size - (_cachedProducer - _cachedConsumer);
        }

        return free < wanted ? free : wanted;
    }

    /// <summary>Producer side: entries the kernel has not consumed yet.</summary>
    public uint Outstanding
    {
        get
        {
            _cachedConsumer = Volatile.Read(ref *_consumer);
            return _cachedProducer - _cachedConsumer;
        }
    }

    /// <summary>Producer side: publishes <paramref name="count"/> written entries (release store of the producer index).</summary>
    public void Submit(uint count)
    {
        _cachedProducer += count;
        Volatile.Write(ref *_producer, _cachedProducer);
    }

    /// <summary>Consumer side: up to <paramref name="max"/> filled entries from <paramref name="start"/>; how many.</summary>
    public uint Peek(uint max, out uint start)
    {
        start = _cachedConsumer;
        var available = _cachedProducer - _cachedConsumer;
        if (available < max)
        {
            _cachedProducer = Volatile.Read(ref *_producer);
            available = _cachedProducer - _cachedConsumer;
        }

        return available < max ? available : max;
    }

    /// <summary>Consumer side: gives <paramref name="count"/> read entries back to the kernel (release store of the consumer index).</summary>
    public void Release(uint count)
    {
        _cachedConsumer += count;
        Volatile.Write(ref *_consumer, _cachedConsumer);
    }

    /// <summary>A fill or completion ring entry: a UMEM address.</summary>
    public ref ulong Address(uint index) => ref *(ulong*)(_entries + ((index & _mask) * 8));

    /// <summary>An RX or TX ring entry.</summary>
    public ref XdpDescriptor Descriptor(uint index) => ref *(XdpDescriptor*)(_entries + ((index & _mask) * 16));
}
