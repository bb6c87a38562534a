using System;
using System.Buffers;
using System.Runtime.InteropServices;
using PoolRules.Runtime;
using PoolRules.Samples.RxDriver;

namespace PoolRules.Benchmarks.DriverThroughput;

/// <summary>
/// The same RX path without a page pool, as a driver on <see cref="ArrayPool{T}.Shared"/> must do it: every refill
/// rents a buffer, pins it for the device and maps it through the IOMMU; every completed frame is unmapped, and the
/// buffer unpinned and returned once the frame is done with; XDP_TX maps the frame again for the device and unmaps
/// it at TX completion. The per-frame mapping is the cost page_pool exists to remove.
/// </summary>
internal sealed class ArrayPoolDriver : IDisposable
{
    private readonly SimulatedIommu _iommu;
    private readonly Buffer[] _ring = new Buffer[RxModel.RingSize];
    private readonly Buffer[] _returning = new Buffer[RxModel.Budget];
    private long _head;
    private long _seq;
    private long _checksum;

    public ArrayPoolDriver(SimulatedIommu iommu)
    {
        _iommu = iommu;
        for (var i = 0; i < _ring.Length; i++)
        {
            _ring[i] = Post();
        }
    }

    public long Checksum => _checksum;

    public void Run(int frames)
    {
        for (var done = 0; done < frames; done += RxModel.Budget)
        {
            for (var i = 0; i < RxModel.Budget; i++)
            {
                RxModel.Write(_ring[(_head + i) & RxModel.RingMask].Array.AsSpan(RxModel.Headroom, RxModel.FrameLength), _seq++);
            }

            Poll();
        }
    }

    private void Poll()
    {
        var returning = 0;
        for (var i = 0; i < RxModel.Budget; i++)
        {
            ref var slot = ref _ring[_head++ & RxModel.RingMask];
            var buffer = slot;
            slot = Post();

            // The device is done with it: the RX mapping goes before the CPU reads the frame.
            _iommu.Unmap(buffer.Iova, RxModel.BufferLength, DmaDirection.FromDevice);
            buffer.Iova = 0;
            var frame = buffer.Array.AsSpan(RxModel.Headroom, RxModel.FrameLength);
            switch (XdpProgram.Run(frame))
            {
                case XdpAction.Pass:
                    _checksum += frame[0];
                    _returning[returning++] = buffer;
                    break;
                case XdpAction.Tx or XdpAction.Redirect:
                    buffer.Iova = _iommu.MapAddress(buffer.Pin.AddrOfPinnedObject() + RxModel.Headroom, RxModel.FrameLength);
                    _checksum += (long)buffer.Iova & 1;
                    _returning[returning++] = buffer;
                    break;
                default:
                    Free(buffer);
                    break;
            }
        }

        // The stack is done with passed frames; TX completion unmaps the transmitted ones.
        for (var i = 0; i < returning; i++)
        {
            var buffer = _returning[i];
            if (buffer.Iova != 0)
            {
                _iommu.Unmap(buffer.Iova, RxModel.FrameLength, DmaDirection.ToDevice);
            }

            Free(buffer);
        }
    }

    private Buffer Post()
    {
        var array = ArrayPool<byte>.Shared.Rent(RxModel.BufferLength);
        var pin = GCHandle.Alloc(array, GCHandleType.Pinned);
        return new Buffer(array, pin, _iommu.MapAddress(pin.AddrOfPinnedObject(), RxModel.BufferLength));
    }

    private static void Free(Buffer buffer)
    {
        buffer.Pin.Free();
        ArrayPool<byte>.Shared.Return(buffer.Array);
    }

    public void Dispose()
    {
        foreach (var buffer in _ring)
        {
            _iommu.Unmap(buffer.Iova, RxModel.BufferLength, DmaDirection.FromDevice);
            Free(buffer);
        }
    }

    /// <summary>One posted buffer: the array, its pin, and its I/O address while mapped (0 when not).</summary>
    private struct Buffer(byte[] array, GCHandle pin, ulong iova)
    {
        public readonly byte[] Array = array;
        public readonly GCHandle Pin = pin;
        public ulong Iova = iova;
    }
}
