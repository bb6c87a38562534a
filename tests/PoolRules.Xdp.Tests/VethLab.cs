using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using PoolRules.Samples.RxDriver;

namespace PoolRules.Xdp.Tests;

/// <summary>
/// One test's private network: a fresh namespace with veth1 (the driver's side) and veth0 (the traffic source's side),
/// each with <c>queues</c> queues, and a live-frames source on veth0 that the test drives frame by frame.
/// </summary>
internal sealed class VethLab : IDisposable
{
    public const string Receiver = "veth1";
    public const string Peer = "veth0";

    private readonly LiveFrameSource _source;

    public VethLab(int queues, bool generic = false)
    {
        XdpEnvironment.Require();
        Ns = NetNamespace.CreatePrivate();
        try
        {
            (ReceiverLink, PeerLink, _source) = Ns.Run(() =>
            {
                RtNetlink.CreateVethPair(Receiver, Peer, queues);
                RtNetlink.SetUp(Peer);
                RtNetlink.SetUp(Receiver);
                if (generic)
                {
                    RtNetlink.SetGro(Receiver, on: true);
                }

                var peer = RtNetlink.GetLink(Peer);
                return (RtNetlink.GetLink(Receiver), peer, new LiveFrameSource(peer));
            });
        }
        catch
        {
            Ns.Dispose();
            throw;
        }
    }

    public NetNamespace Ns { get; }

    public LinkInfo ReceiverLink { get; }

    public LinkInfo PeerLink { get; }

    public XdpDriver OpenDriver(int queues, FrameAction action, bool checkedMode = false, XskConfig? config = null, XdpAttachMode mode = XdpAttachMode.Native, bool busyPoll = false) =>
        XdpDriver.Open(new XdpDriverOptions
        {
            Interface = Receiver,
            Queues = queues,
            Action = action,
            AttachMode = mode,
            Checked = checkedMode,
            BusyPoll = busyPoll,
            Config = config ?? new XskConfig { Frames = 1024, FillRingSize = 512, RxRingSize = 512, TxRingSize = 512, CompletionRingSize = 512 },
        }, Ns);

    /// <summary>
    /// Sends frames with sequence numbers <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1,
    /// <paramref name="repeat"/> copies each, from a thread pinned to <paramref name="cpu"/> (which picks the receiving
    /// queue: CPU mod queue count), and returns how many frames went out.
    /// </summary>
    public long Send(long first, long count, int repeat = 1, int cpu = -1, Func<bool>? stop = null)
    {
        long sent = 0;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Ns.Enter();
                if (cpu >= 0)
                {
                    XdpSupport.PinCurrentThread(cpu);
                }

                Span<byte> frame = stackalloc byte[SampleFrames.Length];
                for (var seq = first; seq < first + count && !(stop?.Invoke() ?? false); seq++)
                {
                    SampleFrames.Write(frame, ReceiverLink.Mac, PeerLink.Mac, seq);
                    _source.Send(frame, repeat);
                    sent += repeat;
                }
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        })
        { IsBackground = true, Name = "test-source" };
        thread.Start();
        if (!thread.Join(TimeSpan.FromSeconds(40)))
        {
            throw new TimeoutException("The traffic source did not finish in 40 s.");
        }

        if (failure is not null)
        {
            throw new InvalidOperationException("The traffic source failed.", failure);
        }

        return sent;
    }

    /// <summary>Waits until the frames accounted for stop changing (the last ones are still crossing the veth).</summary>
    public static void WaitQuiet(Func<long> count, TimeSpan max)
    {
        var deadline = DateTime.UtcNow + max;
        var last = -1L;
        while (DateTime.UtcNow < deadline)
        {
            var now = count();
            if (now == last)
            {
                return;
            }

            last = now;
            Thread.Sleep(100);
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds or <paramref name="max"/> passes; returns whether it held.</summary>
    public static bool WaitUntil(Func<bool> done, TimeSpan max)
    {
        var deadline = DateTime.UtcNow + max;
        while (!done())
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }

    public static int OpenFds() => Directory.GetFiles("/proc/self/fd").Length;

    /// <summary>The fds of this process that are BPF links or programs (anon inodes named bpf-link / bpf-prog).</summary>
    public static IReadOnlyList<string> BpfFds() => Directory.GetFiles("/proc/self/fd")
        .Select(fd =>
        {
            try
            {
                return new FileInfo(fd).LinkTarget ?? "";
            }
            catch (IOException)
            {
                return "";
            }
        })
        .Where(target => target.Contains("bpf-link", StringComparison.Ordinal) || target.Contains("bpf-prog", StringComparison.Ordinal) || target.Contains("bpf-map", StringComparison.Ordinal))
        .ToArray();

    public void Dispose()
    {
        _source.Dispose();
        Ns.Dispose();
    }
}
