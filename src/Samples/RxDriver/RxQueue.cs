using System;
using System.Buffers.Binary;
using System.Threading;
using PoolRules.Runtime;

namespace PoolRules.Samples.RxDriver;

/// <summary>
/// The driver side of one RX queue, following the kernel document's three examples: registration (one pool for the
/// queue, registered as its XDP memory model), the NAPI poller (errors and XDP_DROP recycle directly, frames for the
/// stack are released and replaced by a new page) and driver unload.
/// </summary>
internal sealed class RxQueue
{
    // One frame in PassEvery goes to the "network stack"; the rest are dropped by the XDP program.
    private const int PassEvery = 16;

    private readonly SimulatedNic _nic;
    private readonly PagePool _pool;
    private readonly Napi _napi;
    private readonly XdpRxQueueInfo _xdpRxq = new();
    private readonly int _headroom;
    private long _nextToClean;
    private long _processed;
    private long _passed;
    private long _dropped;
    private long _errors;

    public RxQueue(NetDevice dev, int queueIndex, int ringSize, long frames, bool checkedMode)
    {
        _headroom = 256;
        _napi = new Napi(dev, Poll) { Name = $"{dev.Name}-rx{queueIndex}" };
        _nic = new SimulatedNic(ringSize, _headroom, frames, () => _napi.Schedule());

        // Registration.
        _pool = PagePool.Create(new PagePoolParams
        {
            Order = 0,
            Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
            PoolSize = ringSize,
            Nid = NumaNode.NoNode,
            Device = IdentityDmaDevice.Instance,
            DmaDirection = DmaDirection.FromDevice,
            Offset = _headroom,
            MaxLength = PageAllocator.PageSize - _headroom,
            Napi = _napi,
            Name = $"{dev.Name}-rx{queueIndex}",
            Checked = checkedMode,
        });
        _xdpRxq.Register(dev, queueIndex);
        _xdpRxq.RegisterMemoryModel(MemoryModelType.PagePool, _pool);
    }

    public PagePool Pool => _pool;

    public long Processed => Volatile.Read(ref _processed);

    public long Passed => _passed;

    public long Dropped => _dropped;

    public long Errors => _errors;

    /// <summary>ndo_open: post a page in every descriptor (NAPI is still off, so this thread owns the pool), then start.</summary>
    public void Open()
    {
        for (var i = 0; i < _nic.RingSize; i++)
        {
            _nic.Descriptor(i).Page = _pool.DevAllocPages() ?? throw new OutOfMemoryException("No page for the RX ring.");
        }

        _nic.Post(_nic.RingSize);
        _napi.Enable();
        _nic.Start();
    }

    /// <summary>The NAPI poller: runs on the NAPI thread, so it may recycle directly into the pool's fast cache.</summary>
    [NapiContext]
    private int Poll(Napi napi, int budget)
    {
        var done = 0;
        var filled = _nic.Filled;
        while (done < budget && _nextToClean < filled)
        {
            ref var desc = ref _nic.Descriptor(_nextToClean);
            var page = desc.Page!;
            var frame = page.Span.Slice(_headroom, desc.Length);
            var seq = BinaryPrimitives.ReadInt64LittleEndian(frame);

            if (frame[SimulatedNic.HeaderLength] != (byte)seq)
            {
                // Some error: the frame is garbage, the page goes straight back.
                _errors++;
                _pool.RecycleDirect(page);
            }
            else if (seq % PassEvery != 0)
            {
                // XDP_DROP.
                _dropped++;
                _pool.RecycleDirect(page);
            }
            else
            {
                // XDP_PASS: the page leaves the pool with the frame; the stack drops it when done.
                _pool.ReleasePage(page);
                DeliverToStack(page);
                _passed++;
            }

            // Refill the descriptor. On allocation failure a real driver drops the frame and reuses its page; here
            // every path above gave the page away, so stop and retry on the next poll.
            var fresh = _pool.DevAllocPages();
            if (fresh is null)
            {
                desc.Page = null;
                break;
            }

            desc.Page = fresh;
            _nextToClean++;
            done++;
        }

        _nic.Post(_nextToClean + _nic.RingSize);
        Volatile.Write(ref _processed, _nextToClean);
        if (done < budget)
        {
            napi.CompleteDone(done);
        }

        return done;
    }

    private static void DeliverToStack(Page page)
    {
        // The simulated stack consumes the frame synchronously and drops the caller's reference.
        page.Put();
    }

    /// <summary>Driver unload: stop polling, give back the posted pages, unregister (which destroys the pool).</summary>
    public void Close()
    {
        _nic.Stop();
        _napi.Disable();
        for (var i = 0; i < _nic.RingSize; i++)
        {
            ref var desc = ref _nic.Descriptor(i);
            if (desc.Page is { } page)
            {
                desc.Page = null;
                _pool.PutFullPage(page, allowDirect: false);
            }
        }

        _xdpRxq.Unregister();
        _pool.Destroy();
    }
}
