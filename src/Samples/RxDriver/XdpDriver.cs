using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Versioning;
using PoolRules.Runtime;
using PoolRules.Xdp;

namespace PoolRules.Samples.RxDriver;

/// <summary>Settings of the driver on a real interface.</summary>
[SupportedOSPlatform("linux")]
internal sealed class XdpDriverOptions
{
    public required string Interface { get; init; }

    public int Queues { get; init; } = 1;

    public FrameAction Action { get; init; } = FrameAction.Drop;

    public XdpAttachMode AttachMode { get; init; } = XdpAttachMode.Native;

    public XskConfig Config { get; init; } = new();

    public bool Checked { get; init; }

    /// <summary>Poll without interrupts (lowest latency, a core per queue spinning); otherwise an idle queue sleeps until poll(2) sees frames.</summary>
    public bool BusyPoll { get; init; }

    /// <summary>CPU per queue's poll thread; empty: no pinning.</summary>
    public IReadOnlyList<int> PollCpus { get; init; } = Array.Empty<int>();
}

/// <summary>What unload found, per queue.</summary>
[SupportedOSPlatform("linux")]
internal sealed record XdpQueueReport(long Received, long LeftOnRing, XskStatistics Socket, PagePoolStats Pool, long Inflight, long RefillFailed, long TxDropped, long TxBusy, int UmemFreeChunks, int UmemChunks);

/// <summary>
/// The sample driver on an AF_XDP interface: the same <see cref="RxQueue"/> (NAPI poll, XDP program, stack, TX
/// completion) per RX queue, each over its own socket, UMEM and pool. <see cref="Open"/> runs in the calling thread's
/// network namespace (or in <paramref name="ns"/>'s), and leaves nothing attached when it fails.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class XdpDriver : IDisposable
{
    private readonly XdpInterface _interface;
    private readonly NetworkStack _stack;
    private readonly RxQueue[] _rx;
    private readonly XskQueue[] _xsk;
    private readonly XskInterrupts? _interrupts;
    private bool _started;
    private IReadOnlyList<XdpQueueReport>? _unloaded;

    private XdpDriver(XdpInterface device, NetDevice dev, XdpDriverOptions options)
    {
        _interface = device;
        _stack = new NetworkStack(backlog: 1024);
        _rx = new RxQueue[dev.RxQueueCount];
        _xsk = new XskQueue[dev.RxQueueCount];
        try
        {
            _interrupts = options.BusyPoll ? null : new XskInterrupts(device.Sockets);
            for (var q = 0; q < _rx.Length; q++)
            {
                var socket = device.Sockets[q];
                _xsk[q] = new XskQueue(socket, options.Checked, _interrupts);
                var cpu = q < options.PollCpus.Count ? options.PollCpus[q] : -1;
                _rx[q] = new RxQueue(dev, q, _xsk[q], _stack, socket.Umem.Device, options.Checked, socket.Umem, options.Action, cpu);
            }
        }
        catch
        {
            // The queues made so far hold no page yet: unregistering destroys their pools.
            foreach (var queue in _rx)
            {
                queue?.Close();
            }

            _interrupts?.Dispose();
            throw;
        }
    }

    public XdpInterface Interface => _interface;

    public IReadOnlyList<RxQueue> Queues => _rx;

    public NetworkStack Stack => _stack;

    public long Received => _rx.Sum(r => r.Received);

    public static XdpDriver Open(XdpDriverOptions options, NetNamespace? ns = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var device = ns is null
            ? XdpInterface.Open(options.Interface, options.Queues, options.AttachMode, options.Config)
            : ns.Run(() => XdpInterface.Open(options.Interface, options.Queues, options.AttachMode, options.Config));
        try
        {
            return new XdpDriver(device, new NetDevice(options.Interface, rxQueueCount: options.Queues, txQueueCount: options.Queues), options);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>ndo_open on every queue: fill rings posted, NAPI polling.</summary>
    public void Start()
    {
        _started = true;
        _interrupts?.Start();
        _stack.Start();
        foreach (var queue in _rx)
        {
            queue.Open();
        }
    }

    /// <summary>
    /// Unload: detach (no new frames), stop polling and drain the rings, stop the stack (its backlog goes back to the
    /// pools), read the sockets' counters, close the sockets (the kernel lets go of every chunk), give every chunk back
    /// and destroy the pools, wait until they are freed, then unmap the UMEMs.
    /// </summary>
    public IReadOnlyList<XdpQueueReport> Unload(TimeSpan wait)
    {
        if (_unloaded is not null)
        {
            return _unloaded;
        }

        // Every step runs even when one before it failed (a poll that threw, say): nothing may stay attached or mapped.
        Exception? failure = null;
        void Step(Action step)
        {
            try
            {
                step();
            }
            catch (Exception ex)
            {
                failure ??= ex;
            }
        }

        Step(_interface.Detach);
        if (_started)
        {
            foreach (var queue in _rx)
            {
                Step(queue.Stop);
            }

            Step(_stack.Stop);
        }

        // No poll(2) may outlive the sockets it watches.
        _interrupts?.Dispose();
        failure ??= _interrupts?.Failure;

        var sockets = _interface.Sockets.Select(s => s.GetStatistics()).ToArray();
        var pools = _rx.Select(r => r.Pool.GetStats()).ToArray();
        _interface.CloseSockets();
        foreach (var queue in _rx)
        {
            Step(queue.Close);
        }

        var freed = _rx.All(r => r.Pool.Freed.Wait(wait));
        _unloaded = _rx.Select((r, q) => new XdpQueueReport(r.Received, r.LeftOnRing, sockets[q], pools[q], r.Pool.Inflight, r.RefillFailed, r.TxDropped,
            _xsk[q].TxBusy, _interface.Sockets[q].Umem.FreeChunks, _interface.Sockets[q].Umem.Chunks)).ToArray();

        // A pool that is not freed still has pages someone may touch: leave its UMEM mapped rather than fault.
        if (freed)
        {
            _interface.Dispose();
        }

        if (failure is not null)
        {
            throw new InvalidOperationException("The driver failed while it ran; it was unloaded all the same.", failure);
        }

        return _unloaded;
    }

    public void Dispose() => Unload(TimeSpan.FromSeconds(10));
}
