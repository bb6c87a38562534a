using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace PoolRules.Benchmarks;

/// <summary>
/// The two-thread hand-off a driver does: the allocating ("NAPI") thread fills batches of <see cref="BatchSize"/>
/// buffers and posts them; a long-lived worker thread (the one that finished with the frames: a TX completion, a
/// socket reader) gives every buffer back with <c>returnBatch</c> and posts the empty batch array back.
/// A fixed set of batch arrays circulates through two single-producer single-consumer queues, so the exchange
/// itself allocates nothing and costs one volatile write per batch each way; what is measured per buffer is the
/// allocate + return work on the two sides plus the cache-line traffic of the pages crossing threads.
/// </summary>
public sealed class HandOff<T> : IDisposable
    where T : class
{
    public const int BatchSize = 64;

    private readonly SpscQueue<T[]> _full;
    private readonly SpscQueue<T[]> _empty;
    private readonly Action<T[]> _returnBatch;
    private readonly Thread _worker;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly T[][] _local;
    private int _localCount;
    private int _parked;
    private volatile bool _stop;
    private long _returned;

    /// <param name="batches">Batch arrays in circulation: how far the allocating side may run ahead of the worker.</param>
    /// <param name="returnBatch">Runs on the worker thread: give every buffer of the batch back.</param>
    public HandOff(int batches, Action<T[]> returnBatch)
    {
        _returnBatch = returnBatch;
        _full = new SpscQueue<T[]>(batches);
        _empty = new SpscQueue<T[]>(batches);
        _local = new T[batches][];
        for (var i = 0; i < batches; i++)
        {
            _local[_localCount++] = new T[BatchSize];
        }

        _worker = new Thread(WorkerLoop) { IsBackground = true, Name = "hand-off worker" };
        _worker.Start();
    }

    /// <summary>Buffers the worker has given back so far.</summary>
    public long Returned => Volatile.Read(ref _returned);

    /// <summary>An empty batch to fill; spins (yielding, never sleeping) while all batches are with the worker.</summary>
    public T[] TakeEmpty()
    {
        if (_localCount == 0)
        {
            var spin = default(SpinWait);
            T[]? batch;
            while (!_empty.TryDequeue(out batch))
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            return batch!;
        }

        return _local[--_localCount];
    }

    /// <summary>Hands a filled batch to the worker.</summary>
    public void Post(T[] batch)
    {
        _full.Enqueue(batch);

        // Store-load fence: the worker sets _parked, then re-checks the queue; we publish, then read _parked.
        // One of the two sides sees the other, so no wake-up is lost.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _parked) != 0 && Interlocked.Exchange(ref _parked, 0) != 0)
        {
            _wake.Release();
        }
    }

    /// <summary>Waits until the worker has given back every posted batch, so an invocation pays for all its work.</summary>
    public void Drain()
    {
        var spin = default(SpinWait);
        while (_localCount < _local.Length)
        {
            if (_empty.TryDequeue(out var batch))
            {
                _local[_localCount++] = batch!;
                spin = default;
            }
            else
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        Interlocked.Exchange(ref _parked, 0);
        _wake.Release();
        _worker.Join();
        _wake.Dispose();
    }

    private void WorkerLoop()
    {
        var spin = default(SpinWait);
        while (!_stop)
        {
            if (_full.TryDequeue(out var batch))
            {
                _returnBatch(batch!);
                _returned += batch!.Length;
                _empty.Enqueue(batch);
                spin = default;
                continue;
            }

            if (spin.Count < 200)
            {
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            // Idle (between iterations, or BenchmarkDotNet's own work): block instead of burning a shared core.
            Volatile.Write(ref _parked, 1);
            Interlocked.MemoryBarrier();
            if (!_full.IsEmpty || _stop)
            {
                Volatile.Write(ref _parked, 0);
                continue;
            }

            _wake.Wait();
            spin = default;
        }
    }
}

/// <summary>A bounded single-producer single-consumer queue; head and tail on separate cache lines.</summary>
internal sealed class SpscQueue<T>
    where T : class
{
    private readonly T?[] _slots;
    private readonly int _mask;
    private PaddedIndex _head;
    private PaddedIndex _tail;

    public SpscQueue(int minCapacity)
    {
        var capacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)minCapacity);
        _slots = new T?[capacity];
        _mask = capacity - 1;
    }

    public bool IsEmpty => Volatile.Read(ref _head.Value) == Volatile.Read(ref _tail.Value);

    /// <summary>Producer only. Never full here: the queue holds every batch there is.</summary>
    public void Enqueue(T item)
    {
        var tail = _tail.Value;
        if (tail - Volatile.Read(ref _head.Value) == _slots.Length)
        {
            throw new InvalidOperationException("SPSC queue overflow.");
        }

        _slots[tail & _mask] = item;
        Volatile.Write(ref _tail.Value, tail + 1);
    }

    /// <summary>Consumer only.</summary>
    public bool TryDequeue(out T? item)
    {
        var head = _head.Value;
        if (head == Volatile.Read(ref _tail.Value))
        {
            item = null;
            return false;
        }

        item = _slots[head & _mask];
        _slots[head & _mask] = null;
        Volatile.Write(ref _head.Value, head + 1);
        return true;
    }
}

/// <summary>A long alone on its cache line (outside the generic queue: the runtime refuses explicit layout in generic types).</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedIndex
{
    [FieldOffset(64)]
    public long Value;
}
