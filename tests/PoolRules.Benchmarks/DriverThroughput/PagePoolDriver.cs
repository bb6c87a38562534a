using System;
using PoolRules.Runtime;
using PoolRules.Samples.RxDriver;

namespace PoolRules.Benchmarks.DriverThroughput;

/// <summary>
/// The RxDriver sample's RX path on one queue, single-threaded so that it measures per-frame cost and not
/// scheduling: the device fills posted pages, the poll refills each descriptor from the pool's fast cache and runs
/// the XDP program; drops recycle directly; passed frames (the stack) and transmitted ones (TX completion) come back
/// after the poll through the pool's ring, as they do from their own threads in the sample. Pages are DMA-mapped
/// once, when the pool first allocates them, and stay mapped while they recycle.
/// </summary>
internal sealed class PagePoolDriver : IDisposable
{
    private readonly PagePool _pool;
    private readonly Page?[] _ring = new Page?[RxModel.RingSize];
    private readonly Page[] _returning = new Page[RxModel.Budget];
    private long _head;
    private long _seq;
    private long _checksum;

    public PagePoolDriver(IDmaDevice iommu)
    {
        _pool = PagePool.Create(new PagePoolParams
        {
            Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
            PoolSize = RxModel.RingSize * 2,
            Device = iommu,
            DmaDirection = DmaDirection.Bidirectional,
            Offset = RxModel.Headroom,
            MaxLength = RxModel.BufferLength - RxModel.Headroom,
            Name = "bench-driver-pp",
        });
        for (var i = 0; i < _ring.Length; i++)
        {
            _ring[i] = _pool.DevAllocPages() ?? throw new InvalidOperationException("No page to post.");
        }
    }

    public long Checksum => _checksum;

    public PagePool Pool => _pool;

    /// <summary>Receives <paramref name="frames"/> frames, a NAPI budget at a time.</summary>
    public void Run(int frames)
    {
        for (var done = 0; done < frames; done += RxModel.Budget)
        {
            // Device: DMA one budget of frames into the posted pages.
            for (var i = 0; i < RxModel.Budget; i++)
            {
                RxModel.Write(_ring[(_head + i) & RxModel.RingMask]!.Span.Slice(RxModel.Headroom, RxModel.FrameLength), _seq++);
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
            var page = slot!;
            slot = _pool.DevAllocPages() ?? throw new InvalidOperationException("No page to refill.");
            var frame = page.Span.Slice(RxModel.Headroom, RxModel.FrameLength);
            switch (XdpProgram.Run(frame))
            {
                case XdpAction.Pass:
                    _checksum += frame[0];
                    _returning[returning++] = page;
                    break;
                case XdpAction.Tx or XdpAction.Redirect:
                    // The TX descriptor takes the RX mapping as it is: no new mapping for XDP_TX.
                    _checksum += (long)_pool.GetDmaAddress(page) & 1;
                    _returning[returning++] = page;
                    break;
                default:
                    _pool.RecycleDirect(page);
                    break;
            }
        }

        // The stack and TX completion hand their pages back from outside the NAPI context: through the ring.
        for (var i = 0; i < returning; i++)
        {
            _pool.PutFullPage(_returning[i], allowDirect: false);
        }
    }

    public void Dispose()
    {
        for (var i = 0; i < _ring.Length; i++)
        {
            if (_ring[i] is { } page)
            {
                _ring[i] = null;
                _pool.PutFullPage(page, allowDirect: false);
            }
        }

        _pool.Destroy();
    }
}
