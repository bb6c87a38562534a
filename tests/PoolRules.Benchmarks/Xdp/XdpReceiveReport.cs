using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.Versioning;
using System.Threading;
using PoolRules.Samples.RxDriver;
using PoolRules.Xdp;

namespace PoolRules.Benchmarks.Xdp;

/// <summary>
/// <c>xdp [--seconds S] [--runs N] [--cpus RX,SRC]</c>: the sample driver's receive rate on an AF_XDP socket (native veth,
/// 60-byte live frames) in drop and forward mode, against the floor: a bare C# loop over the same rings that does no
/// pool work (RX addresses straight back to the fill ring; for forward, RX to TX and completions to fill). The floor
/// busy-polls, so the driver is measured busy-polling too, and once more with its interrupt line. Each run measures
/// every variant in a fresh namespace, interleaved, the receiver pinned to one CPU and the source to another.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class XdpReceiveReport
{
    private const double WarmupSeconds = 1.5;

    public static int Run(string[] args)
    {
        var seconds = 4.0;
        var runs = 3;
        var cpus = new[] { 0, 1 };
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds":
                    seconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--runs":
                    runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--cpus":
                    cpus = args[++i].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
                    break;
                default:
                    Console.Error.WriteLine($"xdp: unknown argument '{args[i]}'; usage: xdp [--seconds S] [--runs N] [--cpus RX,SRC]");
                    return 2;
            }
        }

        try
        {
            XdpSupport.EnsureAvailable();
        }
        catch (XdpException ex)
        {
            Console.Error.WriteLine($"xdp: {ex.Message}");
            return 2;
        }

        Console.WriteLine($"AF_XDP receive rate: native veth, copy mode, 60-byte live frames; receiver on CPU {cpus[0]}, source on CPU {cpus[1]}; " +
            $"{WarmupSeconds} s warm-up, {seconds} s measured, {runs} runs; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        var results = new List<Dictionary<string, Sample>>();
        for (var run = 1; run <= runs; run++)
        {
            var r = new Dictionary<string, Sample>
            {
                ["floor drop"] = Measure(cpus, seconds, Variant.Floor, forward: false),
                ["driver drop"] = Measure(cpus, seconds, Variant.BusyPoll, forward: false),
                ["driver-irq drop"] = Measure(cpus, seconds, Variant.Interrupts, forward: false),
                ["driver forward"] = Measure(cpus, seconds, Variant.BusyPoll, forward: true),
                ["floor forward"] = Measure(cpus, seconds, Variant.Floor, forward: true),
            };
            results.Add(r);
            Console.WriteLine($"run {run}: " + string.Join(", ", r.Select(kv => $"{kv.Key} {kv.Value.Mpps:F2} Mpps ({kv.Value.NsPerFrame:F0} ns poll CPU/frame)")) +
                $"; drop {r["driver drop"].Mpps / r["floor drop"].Mpps:F2}x floor (with interrupts {r["driver-irq drop"].Mpps / r["floor drop"].Mpps:F2}x), forward {r["driver forward"].Mpps / r["floor forward"].Mpps:F2}x floor");
        }

        double Median(string key, Func<Sample, double> value) => results.Select(r => value(r[key])).OrderBy(v => v).ElementAt(results.Count / 2);
        Console.WriteLine();
        Console.WriteLine("| mode | floor Mpps | driver Mpps | driver / floor | floor ns/frame | driver ns/frame |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (mode, driver) in new[] { ("drop", "driver drop"), ("drop, driver with interrupts", "driver-irq drop"), ("forward", "driver forward") })
        {
            var floorKey = "floor " + mode.Split(',')[0];
            var ratios = results.Select(r => r[driver].Mpps / r[floorKey].Mpps).OrderBy(v => v).ToArray();
            Console.WriteLine($"| {mode} | {Median(floorKey, s => s.Mpps):F2} | {Median(driver, s => s.Mpps):F2} | {ratios[ratios.Length / 2]:F2} (runs {string.Join(", ", results.Select(r => (r[driver].Mpps / r[floorKey].Mpps).ToString("F2", CultureInfo.InvariantCulture)))}) | " +
                $"{Median(floorKey, s => s.NsPerFrame):F0} | {Median(driver, s => s.NsPerFrame):F0} |");
        }

        Console.WriteLine("ns/frame: CPU time of the receiving thread over frames received (busy polling counts its idle spins too).");
        return 0;
    }

    private readonly record struct Sample(double Mpps, double NsPerFrame);

    private enum Variant
    {
        Floor,
        BusyPoll,
        Interrupts,
    }

    private static Sample Measure(int[] cpus, double seconds, Variant variant, bool forward)
    {
        using var ns = NetNamespace.CreatePrivate();
        var (receiver, peer, source) = ns.Run(() =>
        {
            RtNetlink.CreateVethPair("veth1", "veth0", 1);
            RtNetlink.SetUp("veth0");
            RtNetlink.SetUp("veth1");
            var p = RtNetlink.GetLink("veth0");
            return (RtNetlink.GetLink("veth1"), p, new LiveFrameSource(p));
        });
        using var _ = source;
        using var traffic = new TrafficSource(ns, source, receiver.Mac, peer.Mac, new[] { cpus[1] }, 8192);
        return variant == Variant.Floor
            ? MeasureFloor(ns, traffic, cpus[0], seconds, forward)
            : MeasureDriver(ns, traffic, cpus[0], seconds, forward, busyPoll: variant == Variant.BusyPoll);
    }

    private static Sample MeasureDriver(NetNamespace ns, TrafficSource traffic, int cpu, double seconds, bool forward, bool busyPoll)
    {
        using var driver = XdpDriver.Open(new XdpDriverOptions
        {
            Interface = "veth1",
            Queues = 1,
            Action = forward ? FrameAction.Forward : FrameAction.Drop,
            BusyPoll = busyPoll,
            PollCpus = new[] { cpu },
        }, ns);
        driver.Start();
        traffic.Start();
        var sample = Window(() => driver.Received, "veth1-rx0", seconds);
        traffic.Stop();
        driver.Unload(TimeSpan.FromSeconds(10));
        return sample;
    }

    private static Sample MeasureFloor(NetNamespace ns, TrafficSource traffic, int cpu, double seconds, bool forward)
    {
        var config = new XskConfig();
        using var device = ns.Run(() => XdpInterface.Open("veth1", 1, XdpAttachMode.Native, config));
        var loop = new FloorLoop(device.Sockets[0], forward);
        var thread = new Thread(() => loop.Run(cpu)) { IsBackground = true, Name = "xsk-floor" };
        thread.Start();
        traffic.Start();
        var sample = Window(() => loop.Received, "xsk-floor", seconds);
        traffic.Stop();
        loop.Stop = true;
        thread.Join();
        return sample;
    }

    private static Sample Window(Func<long> received, string threadName, double seconds)
    {
        Thread.Sleep(TimeSpan.FromSeconds(WarmupSeconds));
        var tid = FindThread(threadName);
        var c0 = received();
        var cpu0 = ThreadCpuNs(tid);
        var clock = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        var c1 = received();
        var cpu1 = ThreadCpuNs(tid);
        var elapsed = clock.Elapsed.TotalSeconds;
        var frames = Math.Max(c1 - c0, 1);
        return new Sample(frames / elapsed / 1e6, (cpu1 - cpu0) / (double)frames);
    }

    // /proc/self/task/<tid>/schedstat: nanoseconds on CPU, first field; comm is the thread name cut to 15 bytes.
    private static int FindThread(string name)
    {
        var comm = name.Length > 15 ? name[..15] : name;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).Trim() == comm)
                {
                    return int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // The thread ended while listing.
            }
        }

        return -1;
    }

    private static long ThreadCpuNs(int tid) =>
        tid < 0 ? 0 : long.Parse(File.ReadAllText($"/proc/self/task/{tid}/schedstat").Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>The floor: raw ring handling only, the same batch size and idle policy as the driver's poll.</summary>
    private sealed class FloorLoop(XskSocket socket, bool forward)
    {
        private long _received;

        public volatile bool Stop;

        public long Received => Volatile.Read(ref _received);

        public unsafe void Run(int cpu)
        {
            XdpSupport.PinCurrentThread(cpu);
            var fill = socket.Fill;
            var rx = socket.Rx;
            var tx = socket.Tx;
            var completion = socket.Completion;
            var chunks = (uint)socket.Umem.Chunks;
            var posted = fill.Reserve(Math.Min(fill.Size, chunks), out var start);
            for (var i = 0u; i < posted; i++)
            {
                fill.Address(start + i) = (ulong)i * Umem.ChunkSize;
            }

            fill.Submit(posted);
            var spare = new Stack<ulong>();
            for (var i = posted; i < chunks; i++)
            {
                spare.Push((ulong)i * Umem.ChunkSize);
            }

            Span<byte> mac = stackalloc byte[6];
            while (!Stop)
            {
                var n = rx.Peek(64, out var rxStart);
                if (n == 0)
                {
                    if (forward)
                    {
                        Complete(completion, fill);
                    }

                    Thread.Yield();
                    continue;
                }

                if (!forward)
                {
                    var room = fill.Reserve(n, out var fillStart);
                    for (var i = 0u; i < room; i++)
                    {
                        fill.Address(fillStart + i) = rx.Descriptor(rxStart + i).Address & ~(ulong)(Umem.ChunkSize - 1);
                    }

                    rx.Release(n);
                    fill.Submit(room);
                }
                else
                {
                    var room = tx.Reserve(n, out var txStart);
                    for (var i = 0u; i < n; i++)
                    {
                        var desc = rx.Descriptor(rxStart + i);
                        if (i < room)
                        {
                            var frame = new Span<byte>((void*)(socket.Umem.Base + (nint)desc.Address), (int)desc.Length);
                            frame[..6].CopyTo(mac);
                            frame.Slice(6, 6).CopyTo(frame);
                            mac.CopyTo(frame[6..]);
                            tx.Descriptor(txStart + i) = desc;
                        }
                        else
                        {
                            spare.Push(desc.Address & ~(ulong)(Umem.ChunkSize - 1));
                        }
                    }

                    rx.Release(n);
                    tx.Submit(room);
                    socket.KickTx();
                    Complete(completion, fill);
                    var refill = fill.Reserve((uint)spare.Count, out var fillStart);
                    for (var i = 0u; i < refill; i++)
                    {
                        fill.Address(fillStart + i) = spare.Pop();
                    }

                    fill.Submit(refill);
                }

                _received += n;
            }
        }

        private static void Complete(XskRing completion, XskRing fill)
        {
            var done = completion.Peek(64, out var start);
            if (done == 0)
            {
                return;
            }

            var room = fill.Reserve(done, out var fillStart);
            for (var i = 0u; i < room; i++)
            {
                fill.Address(fillStart + i) = completion.Address(start + i) & ~(ulong)(Umem.ChunkSize - 1);
            }

            completion.Release(room);
            fill.Submit(room);
        }
    }
}
