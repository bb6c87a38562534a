using System;
using System.Buffers.Binary;
using System.Threading;
using System.Threading.Channels;
using PoolRules.Runtime;

namespace PoolRules.Samples.RxDriver;

/// <summary>One RX descriptor: the page posted for the device and the length it wrote.</summary>
internal struct RxDescriptor
{
    public Page? Page;
    public int Length;
}

/// <summary>A frame queued for transmission: a page, where the frame starts in it and how long it is.</summary>
internal readonly record struct TxFrame(Page Page, int Offset, int Length);

/// <summary>
/// The hardware: per RX queue a descriptor ring the driver posts pages into, which the device fills with frames
/// (spreading them over the queues like RSS) before raising the queue's interrupt; per TX queue a ring the driver
/// queues frames on, which the device "sends" and completes by giving the page back to its pool. One device
/// thread does all of it, as one DMA engine would.
/// </summary>
internal sealed class SimulatedNic
{
    public const int HeaderLength = 16;
    private const int FrameLength = 64;

    private readonly RxRing[] _rx;
    private readonly Channel<TxFrame>[] _tx;
    private readonly int _headroom;
    private readonly long _frames;
    private Thread? _thread;
    private volatile bool _stop;
    private long _sent;
    private long _transmitted;

    public SimulatedNic(int rxQueues, int txQueues, int ringSize, int headroom, long frames)
    {
        _rx = new RxRing[rxQueues];
        for (var i = 0; i < rxQueues; i++)
        {
            _rx[i] = new RxRing(ringSize);
        }

        _tx = new Channel<TxFrame>[txQueues];
        for (var i = 0; i < txQueues; i++)
        {
            _tx[i] = Channel.CreateBounded<TxFrame>(new BoundedChannelOptions(ringSize) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        }

        _headroom = headroom;
        _frames = frames;
    }

    /// <summary>Frames the device wrote into RX descriptors so far.</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary>Frames the device transmitted and completed so far.</summary>
    public long Transmitted => Volatile.Read(ref _transmitted);

    public RxRing Rx(int queue) => _rx[queue];

    /// <summary>Queues a frame on TX queue <paramref name="queue"/>; false when its ring is full (the caller drops the frame).</summary>
    public bool Transmit(int queue, TxFrame frame) => _tx[queue].Writer.TryWrite(frame);

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "sim-nic" };
        _thread.Start();
    }

    /// <summary>Stops the device after it completed every queued transmission.</summary>
    public void Stop()
    {
        _stop = true;
        _thread?.Join();
        CompleteTransmissions();
    }

    private void Run()
    {
        var spinner = new SpinWait();
        long seq = 0;
        while (!_stop)
        {
            var progress = false;
            for (var q = 0; q < _rx.Length && seq < _frames; q++)
            {
                var written = _rx[q].Fill(ref seq, Math.Min(32, _frames - seq), _headroom, FrameLength);
                if (written > 0)
                {
                    Interlocked.Add(ref _sent, written);
                    progress = true;
                    _rx[q].Interrupt?.Invoke();
                }
            }

            progress |= CompleteTransmissions() > 0;
            if (progress)
            {
                spinner.Reset();
            }
            else
            {
                spinner.SpinOnce();
            }
        }
    }

    // TX completion: the frame left the wire, the page goes back to the pool it came from (through its ring:
    // this is not the pool's NAPI context).
    private int CompleteTransmissions()
    {
        var completed = 0;
        foreach (var tx in _tx)
        {
            while (tx.Reader.TryRead(out var frame))
            {
                frame.Page.Pool!.PutFullPage(frame.Page, allowDirect: false);
                completed++;
            }
        }

        Interlocked.Add(ref _transmitted, completed);
        return completed;
    }
}

/// <summary>An RX descriptor ring shared by the driver (posts pages, cleans filled descriptors) and the device (fills them).</summary>
internal sealed class RxRing
{
    private readonly RxDescriptor[] _descriptors;
    private readonly int _mask;
    private long _posted;
    private long _filled;

    public RxRing(int size)
    {
        if (size <= 0 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "The ring size must be a power of two.");
        }

        _descriptors = new RxDescriptor[size];
        _mask = size - 1;
    }

    public int Size => _descriptors.Length;

    /// <summary>The queue's interrupt line: schedules its NAPI.</summary>
    public Action? Interrupt { get; set; }

    /// <summary>Descriptors the device has filled (the driver cleans up to here).</summary>
    public long Filled => Volatile.Read(ref _filled);

    public ref RxDescriptor this[long index] => ref _descriptors[index & _mask];

    /// <summary>The driver hands descriptors up to (not including) <paramref name="limit"/> to the device.</summary>
    public void Post(long limit) => Volatile.Write(ref _posted, limit);

    // Device side: DMA up to max frames into posted descriptors.
    internal int Fill(ref long seq, long max, int headroom, int length)
    {
        var filled = _filled;
        var posted = Volatile.Read(ref _posted);
        var count = (int)Math.Min(max, posted - filled);
        for (var i = 0; i < count; i++)
        {
            ref var desc = ref _descriptors[(filled + i) & _mask];
            var frame = desc.Page!.Span.Slice(headroom, length);
            BinaryPrimitives.WriteInt64LittleEndian(frame, seq);
            BinaryPrimitives.WriteInt64LittleEndian(frame[8..], ~seq);
            desc.Length = length;
            seq++;
        }

        Volatile.Write(ref _filled, filled + count);
        return count;
    }
}
