using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.Versioning;
using System.Threading;
using PoolRules.Xdp;

namespace PoolRules.Samples.RxDriver;

/// <summary>The <c>--xdp</c> command line.</summary>
internal sealed class XdpCommand
{
    public string? Interface { get; set; }

    public int? Queues { get; set; }

    public FrameAction Action { get; set; } = FrameAction.Drop;

    public long Frames { get; set; } = 4_000_000;

    public double Seconds { get; set; } = 10;

    public IReadOnlyList<int> Cpus { get; set; } = Array.Empty<int>();

    public bool Checked { get; set; }

    /// <summary>Poll without interrupts.</summary>
    public bool BusyPoll { get; set; }

    /// <summary>Attach in generic (skb) mode instead of native.</summary>
    public bool Generic { get; set; }

    [SupportedOSPlatform("linux")]
    public XdpAttachMode AttachMode => Generic ? XdpAttachMode.Generic : XdpAttachMode.Native;
}

/// <summary>Frames of the sample's own traffic: Ethernet, a local experimental ethertype, then a sequence number and its complement.</summary>
internal static class SampleFrames
{
    public const ushort EtherType = 0x88b5;
    public const int Length = 60;

    public static void Write(Span<byte> frame, ReadOnlySpan<byte> dst, ReadOnlySpan<byte> src, long seq)
    {
        frame.Clear();
        dst.CopyTo(frame);
        src.CopyTo(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherType);
        BinaryPrimitives.WriteInt64LittleEndian(frame[14..], seq);
        BinaryPrimitives.WriteInt64LittleEndian(frame[22..], ~seq);
    }

    /// <summary>The sequence number of one of our frames; false for any other frame.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out long seq)
    {
        seq = 0;
        if (frame.Length < 30 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherType)
        {
            return false;
        }

        seq = BinaryPrimitives.ReadInt64LittleEndian(frame[14..]);
        return BinaryPrimitives.ReadInt64LittleEndian(frame[22..]) == ~seq;
    }
}

/// <summary>
/// <c>--xdp</c>: the driver on an AF_XDP interface. Without <c>--interface</c> it makes a private network namespace with a
/// veth pair (veth1 receives, veth0 sends live frames into it); with one it attaches in the current namespace and takes
/// whatever another process sends.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class XdpMode
{
    private const string Receiver = "veth1";
    private const string Peer = "veth0";

    public static int Run(XdpCommand cmd)
    {
        try
        {
            return cmd.Interface is null ? RunPrivate(cmd) : RunOn(cmd, cmd.Interface);
        }
        catch (XdpException ex)
        {
            Console.Error.WriteLine($"RxDriver --xdp: {ex.Message}");
            return 2;
        }
    }

    private static int RunOn(XdpCommand cmd, string name)
    {
        XdpSupport.EnsureAvailable();
        var link = RtNetlink.GetLink(name);
        var queues = cmd.Queues ?? link.RxQueues;
        using var driver = XdpDriver.Open(Options(cmd, name, queues));
        Console.WriteLine($"RxDriver: {name} ({link.RxQueues} RX queues), {queues} AF_XDP socket{(queues == 1 ? "" : "s")} (one page pool each), {cmd.AttachMode} XDP, mode {cmd.Action.ToString().ToLowerInvariant()}; up to {cmd.Frames:N0} frames or {cmd.Seconds} s");
        var clock = Stopwatch.StartNew();
        driver.Start();
        var elapsed = Receive(driver, cmd, clock);
        return Report(driver, elapsed, sent: null);
    }

    private static int RunPrivate(XdpCommand cmd)
    {
        var queues = cmd.Queues ?? 1;
        using var ns = NetNamespace.CreatePrivate();
        var (peer, source) = ns.Run(() =>
        {
            // Only lo may be here: anything else is someone's and must not be touched.
            var foreign = RtNetlink.ListInterfaces().Where(n => n != "lo").ToArray();
            if (foreign.Length > 0)
            {
                throw new XdpException(XdpErrorKind.ForeignDevices, $"refusing to run: the network namespace holds devices other than lo ({string.Join(", ", foreign)})");
            }

            XdpSupport.EnsureAvailable();
            RtNetlink.CreateVethPair(Receiver, Peer, queues);
            RtNetlink.SetUp(Peer);
            RtNetlink.SetUp(Receiver);
            if (cmd.AttachMode == XdpAttachMode.Generic)
            {
                // Live frames reach a generic-mode veth only through the NAPI that GRO gives it.
                RtNetlink.SetGro(Receiver, on: true);
            }

            var link = RtNetlink.GetLink(Peer);
            return (link, new LiveFrameSource(link));
        });
        using var _ = source;
        using var driver = XdpDriver.Open(Options(cmd, Receiver, queues), ns);
        var receiver = ns.Run(() => RtNetlink.GetLink(Receiver));
        Console.WriteLine($"RxDriver: {Receiver} in a private network namespace (veth pair, {queues} queue{(queues == 1 ? "" : "s")}, live frames from {Peer}), " +
            $"{queues} AF_XDP socket{(queues == 1 ? "" : "s")} (one page pool each), {cmd.AttachMode} XDP, mode {cmd.Action.ToString().ToLowerInvariant()}; up to {cmd.Frames:N0} frames or {cmd.Seconds} s");

        var sourceCpus = cmd.Cpus.Skip(queues).ToArray();
        using var traffic = new TrafficSource(ns, source, receiver.Mac, peer.Mac, sourceCpus, cmd.Action == FrameAction.Program ? 512 : 4096);
        var clock = Stopwatch.StartNew();
        driver.Start();
        traffic.Start();
        var elapsed = Receive(driver, cmd, clock);
        traffic.Stop();
        WaitQuiet(driver);
        return Report(driver, elapsed, traffic.Sent);
    }

    private static XdpDriverOptions Options(XdpCommand cmd, string name, int queues) => new()
    {
        Interface = name,
        Queues = queues,
        Action = cmd.Action,
        AttachMode = cmd.AttachMode,
        Checked = cmd.Checked,
        BusyPoll = cmd.BusyPoll,
        PollCpus = cmd.Cpus.Take(queues).ToArray(),
    };

    private static TimeSpan Receive(XdpDriver driver, XdpCommand cmd, Stopwatch clock)
    {
        var progress = Stopwatch.StartNew();
        while (driver.Received < cmd.Frames && clock.Elapsed.TotalSeconds < cmd.Seconds)
        {
            Thread.Sleep(10);
            if (progress.ElapsedMilliseconds >= 500 && !Console.IsOutputRedirected)
            {
                progress.Restart();
                var received = driver.Received;
                Console.Write($"\r  {received:N0} / {cmd.Frames:N0} frames, {received / clock.Elapsed.TotalSeconds / 1e6:F2} Mpps ");
            }
        }

        var elapsed = clock.Elapsed;
        if (!Console.IsOutputRedirected)
        {
            Console.Write("\r" + new string(' ', 60) + "\r");
        }

        return elapsed;
    }

    // Frames the source sent last are still crossing the veth: wait until the count stops moving.
    private static void WaitQuiet(XdpDriver driver)
    {
        var last = -1L;
        var deadline = Stopwatch.StartNew();
        while (deadline.ElapsedMilliseconds < 2000)
        {
            var now = driver.Received;
            if (now == last)
            {
                return;
            }

            last = now;
            Thread.Sleep(50);
        }
    }

    private static int Report(XdpDriver driver, TimeSpan elapsed, long? sent)
    {
        var received = driver.Received;
        var rx = driver.Queues;
        var reports = driver.Unload(TimeSpan.FromSeconds(10));
        Console.WriteLine($"received {received:N0} frames in {elapsed.TotalSeconds:F2} s: {received / elapsed.TotalSeconds / 1e6:F2} Mpps; " +
            $"stack delivered {driver.Stack.Delivered:N0} (backlog drops {driver.Stack.Dropped:N0}), transmitted {rx.Sum(r => r.Transmitted + r.Redirected):N0}");
        for (var q = 0; q < rx.Count; q++)
        {
            var r = rx[q];
            var s = reports[q].Socket;
            Console.WriteLine($"rx{q}: received {r.Received:N0}: drop {r.Dropped:N0}, pass {r.Passed:N0}, tx {r.Transmitted:N0}, redirect {r.Redirected:N0}, aborted {r.Aborted:N0}; left on ring at unload {r.LeftOnRing:N0}, TX ring full {r.TxDropped:N0}, refill without a page {r.RefillFailed:N0}");
            Console.WriteLine($"rx{q}: pool {reports[q].Pool}");
            Console.WriteLine($"rx{q}: socket rx_ring_full {s.RxRingFull}, rx_dropped {s.RxDropped}, rx_fill_ring_empty_descs {s.RxFillRingEmpty}, rx_invalid_descs {s.RxInvalidDescriptors}, tx_invalid_descs {s.TxInvalidDescriptors}");
        }

        if (sent is { } total)
        {
            var onSockets = reports.Sum(r => r.Received + r.LeftOnRing);
            var lost = reports.Sum(r => (long)(r.Socket.RxRingFull + r.Socket.RxDropped));
            Console.WriteLine($"source sent {total:N0} frames: on the sockets {onSockets:N0} + rx_ring_full and rx_dropped {lost:N0} = {onSockets + lost:N0}{(onSockets + lost == total ? " (closes)" : $" (off by {onSockets + lost - total:N0})")}");
        }

        Console.WriteLine($"unloaded: inflight {string.Join(", ", reports.Select((r, q) => $"rx{q} {r.Inflight}"))}; UMEM chunks free {string.Join(", ", reports.Select((r, q) => $"rx{q} {r.UmemFreeChunks}/{r.UmemChunks}"))}");
        return reports.All(r => r.Inflight == 0 && r.UmemFreeChunks == r.UmemChunks) ? 0 : 1;
    }
}

/// <summary>
/// Live-frames traffic into the receiver: one thread per CPU given (pinned, which also picks the receiving queue: CPU
/// mod queue count), or one unpinned thread. Each call sends <c>repeat</c> copies of a frame whose sequence number is
/// the call's.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class TrafficSource : IDisposable
{
    private readonly NetNamespace _ns;
    private readonly LiveFrameSource _source;
    private readonly byte[] _dst;
    private readonly byte[] _src;
    private readonly int _repeat;
    private readonly Thread[] _threads;
    private volatile bool _stop;
    private long _sent;
    private long _seq;
    private Exception? _failure;

    public TrafficSource(NetNamespace ns, LiveFrameSource source, byte[] dst, byte[] src, IReadOnlyList<int> cpus, int repeat)
    {
        _ns = ns;
        _source = source;
        _dst = dst;
        _src = src;
        _repeat = repeat;
        var pins = cpus.Count == 0 ? new[] { -1 } : cpus.ToArray();
        _threads = pins.Select(cpu => new Thread(() => Run(cpu)) { IsBackground = true, Name = $"live-frames{(cpu >= 0 ? "-cpu" + cpu : "")}" }).ToArray();
    }

    public long Sent => Interlocked.Read(ref _sent);

    public void Start()
    {
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    public void Stop()
    {
        _stop = true;
        foreach (var thread in _threads)
        {
            if (thread.IsAlive)
            {
                thread.Join();
            }
        }

        if (_failure is { } failure)
        {
            throw new XdpException(XdpErrorKind.SyscallFailed, "the traffic source failed: " + failure.Message);
        }
    }

    public void Dispose()
    {
        _stop = true;
        foreach (var thread in _threads)
        {
            if (thread.IsAlive)
            {
                thread.Join();
            }
        }
    }

    private void Run(int cpu)
    {
        try
        {
            // A thread of our own, ended when the source stops: it may join the namespace for good.
            _ns.Enter();
            if (cpu >= 0)
            {
                XdpSupport.PinCurrentThread(cpu);
            }

            Span<byte> frame = stackalloc byte[SampleFrames.Length];
            while (!_stop)
            {
                SampleFrames.Write(frame, _dst, _src, Interlocked.Increment(ref _seq));
                _source.Send(frame, _repeat);
                Interlocked.Add(ref _sent, _repeat);
            }
        }
        catch (Exception ex)
        {
            _failure = ex;
        }
    }
}
