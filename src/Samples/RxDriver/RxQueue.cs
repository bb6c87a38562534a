using System;
using System.Threading;
using PoolRules.Runtime;

namespace PoolRules.Samples.RxDriver;

/// <summary>What the queue does with a received frame.</summary>
internal enum FrameAction
{
    /// <summary>Run the sample's XDP program (drop, pass to the stack, TX, redirect).</summary>
    Program,

    /// <summary>XDP_DROP every frame.</summary>
    Drop,

    /// <summary>l2fwd: swap the MAC addresses and send the frame back out (XDP_TX).</summary>
    Forward,
}

/// <summary>Sees each received frame before the queue acts on it (tests and tracing; null costs one branch).</summary>
internal delegate void FrameTap(int queue, ReadOnlySpan<byte> frame);

/// <summary>
/// The driver side of one RX queue, following the kernel document: registration (a pool for this queue alone,
/// registered as the queue's XDP memory model), the NAPI poller (errors and XDP_DROP recycle directly into the fast
/// cache; frames for the stack leave through the stack; XDP_TX and redirect go to a TX ring and come back at TX
/// completion), and driver unload. The device behind it is the simulated NIC or an AF_XDP socket
/// (<see cref="IRxQueueDevice"/>); nothing here depends on which.
/// </summary>
internal sealed class RxQueue
{
    public const int Headroom = 256;

    private readonly int _index;
    private readonly IRxQueueDevice _device;
    private readonly NetworkStack _stack;
    private readonly int _txQueues;
    private readonly FrameAction _action;
    private readonly int _cpu;
    private readonly Napi _napi;
    private readonly PagePool _pool;
    private readonly XdpRxQueueInfo _xdpRxq = new();
    private bool _pinned;

    public RxQueue(NetDevice dev, int index, IRxQueueDevice device, NetworkStack stack, IDmaDevice dma, bool checkedMode,
        PageAllocator? allocator = null, FrameAction action = FrameAction.Program, int cpu = -1)
    {
        _index = index;
        _device = device;
        _stack = stack;
        _txQueues = dev.TxQueueCount;
        _action = action;
        _cpu = cpu;
        _napi = new Napi(dev, Poll) { Name = $"{dev.Name}-rx{index}" };

        // Registration: Bidirectional because XDP_TX sends the RX page itself.
        _pool = PagePool.Create(new PagePoolParams
        {
            Order = 0,
            Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
            PoolSize = device.RingSize * 2,
            Nid = NumaNode.NoNode,
            Device = dma,
            DmaDirection = DmaDirection.Bidirectional,
            Offset = Headroom,
            MaxLength = PageAllocator.PageSize - Headroom,
            Napi = _napi,
            Name = $"{dev.Name}-rx{index}",
            Checked = checkedMode,
            PageAllocator = allocator,
        });
        _xdpRxq.Register(dev, index);
        _xdpRxq.RegisterMemoryModel(MemoryModelType.PagePool, _pool);
        _device.SetInterrupt(() => _napi.Schedule());
    }

    public PagePool Pool => _pool;

    /// <summary>Called with every received frame on the poll thread; set before <see cref="Open"/>.</summary>
    public FrameTap? Tap { get; set; }

    public IRxQueueDevice Device => _device;

    public long Received { get; private set; }

    /// <summary>Polls run so far.</summary>
    public long Polls => _napi.PollCount;

    public long Dropped { get; private set; }

    public long Passed { get; private set; }

    public long Transmitted { get; private set; }

    public long Redirected { get; private set; }

    public long Aborted { get; private set; }

    /// <summary>Frames dropped because the TX ring was full.</summary>
    public long TxDropped { get; private set; }

    /// <summary>Times the poll found no page to post (the device receives into fewer buffers until pages come back).</summary>
    public long RefillFailed { get; private set; }

    /// <summary>
    /// ndo_open: post a page in every descriptor the pool can fill (NAPI is still off, so this thread owns the pool), then
    /// start polling. A device whose memory is smaller than its ring gets what there is.
    /// </summary>
    public void Open()
    {
        var wanted = _device.ReservePosts(_device.RingSize);
        for (var i = 0; i < wanted; i++)
        {
            var page = _pool.DevAllocPages();
            if (page is null)
            {
                if (i == 0)
                {
                    throw new OutOfMemoryException($"No page for RX queue {_index}.");
                }

                break;
            }

            _device.Post(page);
        }

        _device.Flush();
        _napi.Enable();
        if (_device.BusyPoll)
        {
            _napi.Schedule();
        }
        else
        {
            _device.EnableInterrupt();
        }
    }

    /// <summary>The NAPI poller: runs on this queue's NAPI thread, so it may recycle into the pool's fast cache.</summary>
    [NapiContext]
    private int Poll(Napi napi, int budget)
    {
        if (!_pinned && _cpu >= 0)
        {
            _pinned = true;
            PinPollThread(_cpu);
        }

        // TX completion first: those pages are what the refill below can post again.
        while (_device.TryComplete(out var sent))
        {
            _pool.PutFullPage(sent, allowDirect: true);
        }

        var done = 0;
        while (done < budget && _device.TryReceive(out var page, out var offset, out var length))
        {
            Deliver(page, offset, length);
            done++;
        }

        Received += done;
        var starved = !Refill(done);
        _device.Flush();
        if (done < budget)
        {
            // A poll that could not refill, or left work no interrupt will announce, polls on: the frame that would
            // wake it may never come (the device has no buffer to receive it into).
            if (!napi.IsEnabled || (!_device.BusyPoll && !starved && !_device.HasUnannouncedWork))
            {
                if (napi.CompleteDone(done))
                {
                    _device.EnableInterrupt();
                }

                return done;
            }

            // Polled again at once; an idle ring lets other threads run.
            if (done == 0)
            {
                Thread.Yield();
            }

            return budget;
        }

        return done;
    }

    // Refill: every free descriptor gets a page; when the pool runs dry the device receives into fewer buffers until
    // pages come back from the stack or TX completion (a UMEM smaller than its rings lives in that state).
    // Returns false when the pool ran dry.
    [NapiContext]
    private bool Refill(int received)
    {
        var wanted = _device.ReservePosts(Math.Max(received, PagePool.CacheRefill));
        for (var i = 0; i < wanted; i++)
        {
            var fresh = _pool.DevAllocPages();
            if (fresh is null)
            {
                RefillFailed++;
                return false;
            }

            _device.Post(fresh);
        }

        return true;
    }

    [NapiContext]
    private void Deliver(Page page, int offset, int length)
    {
        var header = _device.LinkHeaderLength;
        Tap?.Invoke(_index, page.Span.Slice(offset, length));
        var verdict = _action switch
        {
            FrameAction.Drop => XdpAction.Drop,
            FrameAction.Forward => XdpAction.Tx,
            _ when length < header + 16 => XdpAction.Aborted,
            _ => XdpProgram.Run(page.Span.Slice(offset + header, length - header)),
        };
        switch (verdict)
        {
            case XdpAction.Drop:
                Dropped++;
                _pool.RecycleDirect(page);
                break;
            case XdpAction.Pass when (page.Span[offset + header] & 1) == 0:
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
                if (_action == FrameAction.Forward)
                {
                    SwapMacs(page.Span.Slice(offset, length));
                }

                Transmit(page, _index % _txQueues, offset, length);
                Transmitted++;
                break;
            case XdpAction.Redirect:
                Transmit(page, (_index + 1) % _txQueues, offset, length);
                Redirected++;
                break;
            default:
                Aborted++;
                _pool.RecycleDirect(page);
                break;
        }
    }

    [NapiContext]
    private void Transmit(Page page, int txQueue, int offset, int length)
    {
        if (!_device.Transmit(txQueue, page, offset, length))
        {
            TxDropped++;
        }
    }

    private static void SwapMacs(Span<byte> frame)
    {
        Span<byte> mac = stackalloc byte[6];
        frame[..6].CopyTo(mac);
        frame.Slice(6, 6).CopyTo(frame);
        mac.CopyTo(frame[6..]);
    }

    private static void PinPollThread(int cpu)
    {
        if (OperatingSystem.IsLinux())
        {
            PoolRules.Xdp.XdpSupport.PinCurrentThread(cpu);
        }
    }

    /// <summary>Frames the device had received when polling stopped, dropped at unload.</summary>
    public long LeftOnRing { get; private set; }

    /// <summary>
    /// Stops polling (napi_disable; the device must be stopped first), then takes what the device still has on its RX
    /// and completion rings: late frames are dropped and counted, their pages go back.
    /// </summary>
    public void Stop()
    {
        _napi.Disable();
        while (_device.TryReceive(out var page, out _, out _))
        {
            LeftOnRing++;
            _pool.PutFullPage(page, allowDirect: false);
        }

        while (_device.TryComplete(out var sent))
        {
            _pool.PutFullPage(sent, allowDirect: false);
        }
    }

    /// <summary>Driver unload, once the device let go of its pages: give them back, then unregister the queue, which destroys the pool with it.</summary>
    public void Close()
    {
        while (_device.TryTakeBack(out var page))
        {
            _pool.PutFullPage(page, allowDirect: false);
        }

        _xdpRxq.Unregister();
        _pool.Destroy();
    }
}
