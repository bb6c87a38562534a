using System;
using System.Threading;
using PoolRules.Runtime;

namespace PoolRules.Samples.RxDriver;

/// <summary>
/// The driver side of one RX queue, following the kernel document: registration (a pool for this queue alone,
/// registered as the queue's XDP memory model), the NAPI poller (errors and XDP_DROP recycle directly into the fast
/// cache; frames for the stack leave through the stack; XDP_TX and redirect go to a TX ring and come back at TX
/// completion), and driver unload.
/// </summary>
internal sealed class RxQueue
{
    public const int Headroom = 256;

    private readonly int _index;
    private readonly RxRing _ring;
    private readonly SimulatedNic _nic;
    private readonly NetworkStack _stack;
    private readonly int _txQueues;
    private readonly Napi _napi;
    private readonly PagePool _pool;
    private readonly XdpRxQueueInfo _xdpRxq = new();
    private long _nextToClean;

    public RxQueue(NetDevice dev, int index, SimulatedNic nic, NetworkStack stack, IDmaDevice dma, bool checkedMode)
    {
        _index = index;
        _nic = nic;
        _ring = nic.Rx(index);
        _stack = stack;
        _txQueues = dev.TxQueueCount;
        _napi = new Napi(dev, Poll) { Name = $"{dev.Name}-rx{index}" };

        // Registration: Bidirectional because XDP_TX sends the RX page itself.
        _pool = PagePool.Create(new PagePoolParams
        {
            Order = 0,
            Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
            PoolSize = _ring.Size * 2,
            Nid = NumaNode.NoNode,
            Device = dma,
            DmaDirection = DmaDirection.Bidirectional,
            Offset = Headroom,
            MaxLength = PageAllocator.PageSize - Headroom,
            Napi = _napi,
            Name = $"{dev.Name}-rx{index}",
            Checked = checkedMode,
        });
        _xdpRxq.Register(dev, index);
        _xdpRxq.RegisterMemoryModel(MemoryModelType.PagePool, _pool);
        _ring.Interrupt = () => _napi.Schedule();
    }

    public PagePool Pool => _pool;

    public long Received { get; private set; }

    public long Dropped { get; private set; }

    public long Passed { get; private set; }

    public long Transmitted { get; private set; }

    public long Redirected { get; private set; }

    public long Aborted { get; private set; }

    /// <summary>ndo_open: post a page in every descriptor (NAPI is still off, so this thread owns the pool), then start polling.</summary>
    public void Open()
    {
        for (var i = 0; i < _ring.Size; i++)
        {
            _ring[i].Page = _pool.DevAllocPages() ?? throw new OutOfMemoryException($"No page for RX queue {_index}.");
        }

        _ring.Post(_ring.Size);
        _napi.Enable();
    }

    /// <summary>The NAPI poller: runs on this queue's NAPI thread, so it may recycle into the pool's fast cache.</summary>
    [NapiContext]
    private int Poll(Napi napi, int budget)
    {
        var done = 0;
        var filled = _ring.Filled;
        while (done < budget && _nextToClean < filled)
        {
            ref var desc = ref _ring[_nextToClean];
            var page = desc.Page!;

            // Refill first: on allocation failure keep the old page in the ring and drop its frame, as drivers do.
            var fresh = _pool.DevAllocPages();
            if (fresh is null)
            {
                Dropped++;
            }
            else
            {
                desc.Page = fresh;
                Deliver(page, desc.Length);
            }

            _nextToClean++;
            done++;
        }

        Received += done;
        _ring.Post(_nextToClean + _ring.Size);
        if (done < budget)
        {
            napi.CompleteDone(done);
        }

        return done;
    }

    [NapiContext]
    private void Deliver(Page page, int length)
    {
        var frame = page.Span.Slice(Headroom, length);
        switch (XdpProgram.Run(frame))
        {
            case XdpAction.Drop:
                Dropped++;
                _pool.RecycleDirect(page);
                break;
            case XdpAction.Pass when (frame[0] & 1) == 0:
                // skb path with recycling: the stack gives the page back to this pool from its own thread.
                Passed++;
                _stack.Receive(page);
                break;
            case XdpAction.Pass:
                // skb path that keeps the page (a socket queues the frame): it leaves the pool first.
                Passed++;
                _pool.ReleasePage(page);
                _stack.Receive(page);
                break;
            case XdpAction.Tx:
                Transmit(page, _index % _txQueues, length);
                Transmitted++;
                break;
            case XdpAction.Redirect:
                Transmit(page, (_index + 1) % _txQueues, length);
                Redirected++;
                break;
            default:
                Aborted++;
                _pool.RecycleDirect(page);
                break;
        }
    }

    [NapiContext]
    private void Transmit(Page page, int txQueue, int length)
    {
        if (!_nic.Transmit(txQueue, new TxFrame(page, Headroom, length)))
        {
            // TX ring full: the frame is dropped and the page recycled here, in NAPI context.
            _pool.RecycleDirect(page);
        }
    }

    /// <summary>Stops polling (napi_disable); the device must be stopped first.</summary>
    public void Stop() => _napi.Disable();

    /// <summary>Driver unload: give back the posted pages, then unregister the queue, which destroys the pool with it.</summary>
    public void Close()
    {
        for (var i = 0; i < _ring.Size; i++)
        {
            ref var desc = ref _ring[i];
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
