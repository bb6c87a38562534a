using System;
using System.Buffers.Binary;
using System.Threading;
using PoolRules.Runtime;

namespace PoolRules.Samples.RxDriver;

/// <summary>
/// The hardware side of one RX queue: a descriptor ring the driver posts empty pages into and a device thread that
/// "DMA"s frames into them, then raises an interrupt (schedules the queue's NAPI). The driver and the device share
/// the ring through two counters, as real NICs share head and tail registers.
/// </summary>
internal sealed class SimulatedNic
{
    public const int HeaderLength = 8;

    private readonly RxDescriptor[] _ring;
    private readonly int _mask;
    private readonly int _headroom;
    private readonly long _frames;
    private readonly Action _interrupt;
    private Thread? _thread;

    // Descriptors the driver made available (it writes), and descriptors the device filled (it writes).
    private long _posted;
    private long _filled;
    private volatile bool _stop;

    public SimulatedNic(int ringSize, int headroom, long frames, Action interrupt)
    {
        _ring = new RxDescriptor[ringSize];
        _mask = ringSize - 1;
        _headroom = headroom;
        _frames = frames;
        _interrupt = interrupt;
    }

    public int RingSize => _ring.Length;

    public long Filled => Volatile.Read(ref _filled);

    public ref RxDescriptor Descriptor(long index) => ref _ring[index & _mask];

    /// <summary>The driver hands descriptors up to (not including) <paramref name="limit"/> to the device.</summary>
    public void Post(long limit) => Volatile.Write(ref _posted, limit);

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "sim-nic-rx" };
        _thread.Start();
    }

    public void Stop()
    {
        _stop = true;
        _thread?.Join();
    }

    private void Run()
    {
        var spinner = new SpinWait();
        for (long seq = 0; seq < _frames && !_stop;)
        {
            var filled = _filled;
            if (filled == Volatile.Read(ref _posted))
            {
                // No buffer posted: real hardware drops the frame (rx_missed); we wait, so every frame is counted.
                _interrupt();
                spinner.SpinOnce();
                continue;
            }

            spinner.Reset();
            ref var desc = ref _ring[filled & _mask];
            var length = 64 + (int)(seq % 1400);
            var frame = desc.Page!.Span.Slice(_headroom, length);
            BinaryPrimitives.WriteInt64LittleEndian(frame, seq);
            frame[HeaderLength] = (byte)seq;
            desc.Length = length;
            Volatile.Write(ref _filled, filled + 1);
            seq++;

            // Interrupt moderation: one interrupt per 16 frames (and whenever the ring runs dry, above).
            if ((seq & 15) == 0)
            {
                _interrupt();
            }
        }

        _interrupt();
    }
}

/// <summary>One RX descriptor: the page posted for the device and the length it wrote.</summary>
internal struct RxDescriptor
{
    public Page? Page;
    public int Length;
}
