using System;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Threading;

namespace PoolRules.Runtime;

/// <summary>
/// The pool's ptr-ring: a bounded ring that many threads put pages into and the pool's NAPI context takes them
/// out of in batches. Lock-free (one compare-exchange per produce, none per consume): each slot carries a
/// sequence number that says whose turn it is, so producers never wait on one another or on the consumer.
/// Consumers must be serialised by the caller (the NAPI context, or the pool's shutdown after NAPI stopped),
/// as the kernel serialises them with the ring's consumer lock.
/// </summary>
internal sealed class PtrRing<T>
    where T : class
{
    private readonly Slot[] _slots;
    private readonly int _mask;

    // Producers contend on _tail; the consumer owns _head. Keep them on separate cache lines.
    private PaddedLong _tail;
    private PaddedLong _head;
    private volatile bool _closed;

    public PtrRing(int size)
    {
        // At least 2 slots: a slot's sequence reads pos + 1 both when it was filled at pos and when it is free for
        // pos + capacity, so with one slot a full ring looks free (a produce overwrites the page in it) and an
        // emptied one looks full.
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(size, 2));
        _slots = new Slot[capacity];
        _mask = capacity - 1;
        for (var i = 0; i < capacity; i++)
        {
            _slots[i].Sequence = i;
        }
    }

    public int Capacity => _slots.Length;

    /// <summary>Items put in so far (the kernel's recycle ring counter, derived instead of counted).</summary>
    public long Produced => Volatile.Read(ref _tail.Value);

    public int Count => (int)(Volatile.Read(ref _tail.Value) - Volatile.Read(ref _head.Value));

    public bool IsEmpty => Volatile.Read(ref _head.Value) == Volatile.Read(ref _tail.Value);

    /// <summary>Adds an item; false when the ring is full or closed.</summary>
    public bool TryProduce(T item)
    {
        if (_closed)
        {
            return false;
        }

        var slots = _slots;
        var pos = Volatile.Read(ref _tail.Value);
        while (true)
        {
            ref var slot = ref slots[pos & _mask];
            var diff = Volatile.Read(ref slot.Sequence) - pos;
            if (diff == 0)
            {
                var seen = Interlocked.CompareExchange(ref _tail.Value, pos + 1, pos);
                if (seen == pos)
                {
                    slot.Item = item;
                    Volatile.Write(ref slot.Sequence, pos + 1);
                    return true;
                }

                pos = seen;
            }
            else if (diff < 0)
            {
                // The consumer has not freed this slot yet: the ring is full.
                return false;
            }
            else
            {
                pos = Volatile.Read(ref _tail.Value);
            }
        }
    }

    /// <summary>
    /// <c>__ptr_ring_produce</c> of a batch under one producer lock: as many of <paramref name="items"/> as there are
    /// free slots go in, in order, with one claim. Returns how many (the first ones); 0 when full or closed.
    /// </summary>
    public int TryProduceBulk(ReadOnlySpan<T> items)
    {
        var count = TryClaim(items.Length, out var start);
        for (var i = 0; i < count; i++)
        {
            Fill(start + i, items[i]);
        }

        return count;
    }

    /// <summary>
    /// Claims up to <paramref name="count"/> consecutive free slots with one compare-exchange; returns how many, the
    /// first at position <paramref name="start"/>. The caller must <see cref="Fill"/> every claimed position, in
    /// order (the consumer stops at the first unfilled one). 0 when full or closed.
    /// </summary>
    public int TryClaim(int count, out long start)
    {
        start = 0;
        if (_closed || count <= 0)
        {
            return 0;
        }

        while (true)
        {
            // The consumer frees slots in order and writes a slot's sequence before it moves the head, so every
            // position below head + capacity is free: no slot needs to be read before the claim.
            var pos = Volatile.Read(ref _tail.Value);
            var free = _slots.Length - (pos - Volatile.Read(ref _head.Value));
            if (free <= 0)
            {
                return 0;
            }

            var claimed = (int)Math.Min(free, count);
            if (Interlocked.CompareExchange(ref _tail.Value, pos + claimed, pos) == pos)
            {
                start = pos;
                return claimed;
            }
        }
    }

    /// <summary>Fills a position <see cref="TryClaim"/> gave out.</summary>
    public void Fill(long pos, T item)
    {
        ref var slot = ref _slots[pos & _mask];
        slot.Item = item;
        Volatile.Write(ref slot.Sequence, pos + 1);
    }

    /// <summary>Takes the oldest item, or null when empty (or when a producer has claimed a slot but not filled it yet).</summary>
    public T? TryConsume()
    {
        var pos = _head.Value;
        ref var slot = ref _slots[pos & _mask];
        if (Volatile.Read(ref slot.Sequence) != pos + 1)
        {
            return null;
        }

        var item = slot.Item;
        slot.Item = null;
        Volatile.Write(ref slot.Sequence, pos + _slots.Length);
        Volatile.Write(ref _head.Value, pos + 1);
        return item;
    }

    /// <summary>Refuses further produces; items already in stay until consumed.</summary>
    public void Close() => _closed = true;

    private struct Slot
    {
        public long Sequence;
        public T? Item;
    }
}

// A counter alone on its cache line (padding on both sides), so producers and consumer do not false-share.
// Outside PtrRing<T>: a generic type's nested struct is generic too and cannot have explicit layout.
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedLong
{
    [FieldOffset(64)]
    public long Value;
}
