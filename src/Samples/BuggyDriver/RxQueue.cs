using System;
using System.Buffers.Binary;
using System.Threading;
using PoolRules.Runtime;

namespace PoolRules.Samples.RxDriver;

/// <summary>
/// The RxDriver's RX queue with the mistakes a driver author makes (each marked with the rule that flags it), plus
/// rx_copybreak: short frames for the stack are copied into a page of a second, CPU-only pool so the DMA page can be
/// recycled at once.
/// </summary>
internal sealed class RxQueue
{
    public const int Headroom = 256;

    /// <summary>Frames up to this length are copied for the stack (rx_copybreak).</summary>
    public const int CopyBreak = 128;

    private readonly int _index;
    private readonly RxRing _ring;
    private readonly SimulatedNic _nic;
    private readonly NetworkStack _stack;
    private readonly int _txQueues;
    private readonly Napi _napi;
    private readonly PagePool _pool;
    private readonly PagePool _copyPool;
    private readonly object _statsGate = new();
    private readonly XdpRxQueueInfo _xdpRxq = new();
    private long _nextToClean;
    private long _lastTxDropSeq;

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
        // Copies are written by the CPU, never by the device, so this pool maps nothing.
        _copyPool = PagePool.Create(new PagePoolParams
        {
            Order = 0,
            Flags = PagePoolFlags.DmaSyncDevice, // PP0006: DMA_MAP was dropped for the CPU-only pool but SYNC_DEV was kept
            PoolSize = _ring.Size,
            Nid = NumaNode.NoNode,
            Napi = _napi,
            Name = $"{dev.Name}-rx{index}-copy",
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

    /// <summary>Sequence number of the last frame dropped because the TX ring was full.</summary>
    public long LastTxDropSeq => Interlocked.Read(ref _lastTxDropSeq);

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
            var fresh = _pool.DevAllocPages(); // PP0001: the refill page is lost when a runt frame is skipped
            if (fresh is null)
            {
                Dropped++;
            }
            else if (desc.Length < SimulatedNic.HeaderLength)
            {
                // A runt frame: keep the posted page for the next frame.
                Aborted++;
            }
            else
            {
                desc.Page = fresh;
                Deliver(page, desc.Length);
            }

            _nextToClean++;
            done++;
        }

        // The main thread reads the counters for its progress line.
        lock (_statsGate) // PP0007: a lock inside the NAPI poll can block the softirq
        {
            Received += done;
        }

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
            case XdpAction.Aborted:
                // The xdp_exception tracepoint, then handled as a drop.
                Aborted++;
                _pool.RecycleDirect(page);
                goto case XdpAction.Drop;
            case XdpAction.Drop:
                Dropped++;
                _pool.RecycleDirect(page); // PP0002: after XDP_ABORTED the page was already recycled above
                break;
            case XdpAction.Pass when length <= CopyBreak:
                // rx_copybreak: the stack gets a copy and the DMA page goes straight back to the fast cache.
                var copy = _copyPool.DevAllocPages();
                if (copy is null)
                {
                    Dropped++;
                    _pool.RecycleDirect(page);
                    break;
                }

                Passed++;
                frame.CopyTo(copy.Span.Slice(Headroom));
                _pool.RecycleDirect(copy); // PP0008: the copy is recycled into the RX pool (and the DMA page handed up)
                _stack.Receive(page);
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
            _lastTxDropSeq = BinaryPrimitives.ReadInt64LittleEndian(page.Span.Slice(Headroom)); // PP0005: reads the frame after recycling its page
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
        _copyPool.Destroy();
    }
}
