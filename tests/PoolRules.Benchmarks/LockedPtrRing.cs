using System.Runtime.InteropServices;
using System.Threading;

namespace PoolRules.Benchmarks;

/// <summary>
/// The kernel's <c>include/linux/ptr_ring.h</c>, for comparison with the runtime's lock-free <c>PtrRing&lt;T&gt;</c>:
/// an array of pointers where null marks a free slot, one spin lock for producers and a separate one for the
/// consumer, and the consumer zeroing consumed slots in batches of two cache lines (<c>r->batch</c>) so that
/// producers and the consumer do not bounce the same line on every item.
/// </summary>
public sealed class LockedPtrRing<T>
    where T : class
{
    private readonly T?[] _queue;
    private readonly int _batch;

    // The producer side (lock, producer index) and the consumer side (lock, consumer_head, consumer_tail) each on
    // their own cache line, like the kernel's ____cacheline_aligned_in_smp groups.
    private RingSide _producerSide;
    private RingSide _consumerSide;

    public LockedPtrRing(int size)
    {
        _queue = new T?[size];
        _producerSide.Lock = new SpinLock(enableThreadOwnerTracking: false);
        _consumerSide.Lock = new SpinLock(enableThreadOwnerTracking: false);

        // SMP_CACHE_BYTES * 2 / sizeof(void*), halved for small rings, as ptr_ring's __ptr_ring_set_size does.
        _batch = 2 * 64 / nint.Size;
        if (_batch > size / 2 || _batch == 0)
        {
            _batch = 1;
        }
    }

    /// <summary><c>ptr_ring_produce</c>: false when the ring is full.</summary>
    public bool TryProduce(T item)
    {
        var taken = false;
        try
        {
            _producerSide.Lock.Enter(ref taken);
            var producer = _producerSide.Index;
            if (Volatile.Read(ref _queue[producer]) is not null)
            {
                return false;
            }

            // smp_wmb + WRITE_ONCE: the item is published with release semantics.
            Volatile.Write(ref _queue[producer], item);
            _producerSide.Index = producer + 1 == _queue.Length ? 0 : producer + 1;
            return true;
        }
        finally
        {
            if (taken)
            {
                _producerSide.Lock.Exit(useMemoryBarrier: false);
            }
        }
    }

    /// <summary><c>ptr_ring_consume</c>: the oldest item, or null when empty.</summary>
    public T? TryConsume()
    {
        var taken = false;
        try
        {
            _consumerSide.Lock.Enter(ref taken);
            return ConsumeLocked();
        }
        finally
        {
            if (taken)
            {
                _consumerSide.Lock.Exit(useMemoryBarrier: false);
            }
        }
    }

    /// <summary>
    /// <c>ptr_ring_consume_batched</c>, as page_pool_refill_alloc_cache uses the ring: one consumer lock for up to
    /// <c>items.Length</c> items. Returns how many were taken.
    /// </summary>
    public int ConsumeBatched(T?[] items, int start)
    {
        var taken = false;
        try
        {
            _consumerSide.Lock.Enter(ref taken);
            var i = start;
            for (; i < items.Length; i++)
            {
                var item = ConsumeLocked();
                if (item is null)
                {
                    break;
                }

                items[i] = item;
            }

            return i - start;
        }
        finally
        {
            if (taken)
            {
                _consumerSide.Lock.Exit(useMemoryBarrier: false);
            }
        }
    }

    // __ptr_ring_consume: __ptr_ring_peek + __ptr_ring_discard_one.
    private T? ConsumeLocked()
    {
        var queue = _queue;
        var head = _consumerSide.Index;
        var item = Volatile.Read(ref queue[head]);
        if (item is null)
        {
            return null;
        }

        var next = head + 1;

        // Zero consumed slots only once a batch of them is done (or at the wrap), newest first, so the producer
        // cannot see a free slot in a cache line the consumer is still reading.
        if (next - _consumerSide.Tail >= _batch || next >= queue.Length)
        {
            for (var i = head; i >= _consumerSide.Tail; i--)
            {
                Volatile.Write(ref queue[i], null);
            }

            _consumerSide.Tail = next;
        }

        if (next >= queue.Length)
        {
            next = 0;
            _consumerSide.Tail = 0;
        }

        _consumerSide.Index = next;
        return item;
    }
}

/// <summary>
/// One side of a <see cref="LockedPtrRing{T}"/> (its lock, its index, the consumer's tail) alone on a cache line,
/// like the kernel's ____cacheline_aligned_in_smp groups. Not nested: generic types cannot have explicit layout.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct RingSide
{
    [FieldOffset(64)]
    public SpinLock Lock;

    [FieldOffset(68)]
    public int Index;

    [FieldOffset(72)]
    public int Tail;
}
