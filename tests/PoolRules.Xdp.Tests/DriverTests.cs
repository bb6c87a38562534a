using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PoolRules.Samples.RxDriver;
using Xunit;

namespace PoolRules.Xdp.Tests;

/// <summary>The sample driver's queue logic on real AF_XDP sockets, one private namespace and veth pair per test.</summary>
public sealed class DriverTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(3);

    [XdpFact]
    public Task Received_frames_carry_the_sequence_numbers_that_were_sent_in_order() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 1);
        using var driver = lab.OpenDriver(1, FrameAction.Drop);
        var seen = new ConcurrentQueue<long>();
        driver.Queues[0].Tap = (_, frame) =>
        {
            if (SampleFrames.TryRead(frame, out var seq))
            {
                seen.Enqueue(seq);
            }
        };
        driver.Start();

        var sent = lab.Send(first: 1000, count: 3000);
        VethLab.WaitQuiet(() => driver.Received, Quiet);
        var reports = driver.Unload(TimeSpan.FromSeconds(10));

        var got = seen.ToArray();
        Assert.Equal(3000, sent);
        Assert.NotEmpty(got);
        Assert.All(got, seq => Assert.InRange(seq, 1000, 3999));
        Assert.Equal(got.Length, got.Distinct().Count());
        Assert.True(got.Zip(got.Skip(1)).All(p => p.First < p.Second), "one queue delivers frames in the order they were sent");
        Assert.Equal(sent, Accounted(reports));
        Assert.Equal(got.Length, reports[0].Received);
        AssertUnloaded(reports);
    });

    [XdpFact]
    public Task Forwarded_frames_come_back_out_of_the_peer_with_their_MACs_swapped() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 1);
        using var capture = new PeerCapture(lab);
        using var driver = lab.OpenDriver(1, FrameAction.Forward);
        driver.Start();

        var sent = lab.Send(first: 0, count: 2000);
        VethLab.WaitUntil(() => capture.Count >= driver.Received && driver.Received > 0, Quiet);
        VethLab.WaitQuiet(() => capture.Count, Quiet);
        var reports = driver.Unload(TimeSpan.FromSeconds(10));

        var frames = capture.Frames;
        var rx = driver.Queues[0];
        Assert.True(rx.Transmitted > 0, "the driver forwarded frames");
        Assert.Equal(rx.Transmitted - rx.TxDropped, frames.Count);
        Assert.All(frames, f =>
        {
            Assert.Equal(lab.PeerLink.Mac, f.Dst);
            Assert.Equal(lab.ReceiverLink.Mac, f.Src);
            Assert.InRange(f.Seq, 0, 1999);
        });
        Assert.Equal(frames.Count, frames.Select(f => f.Seq).Distinct().Count());
        Assert.Equal(sent, Accounted(reports));
        AssertUnloaded(reports);
    });

    [XdpFact]
    public Task The_kernels_accounting_closes_and_every_chunk_comes_home() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 1);
        using var driver = lab.OpenDriver(1, FrameAction.Drop);
        driver.Start();

        var sent = lab.Send(first: 0, count: 400, repeat: 512);
        VethLab.WaitQuiet(() => driver.Received, Quiet);
        var reports = driver.Unload(TimeSpan.FromSeconds(10));

        Assert.Equal(400 * 512, sent);
        Assert.True(reports[0].Received > 0);
        Assert.Equal(sent, Accounted(reports));
        AssertUnloaded(reports);
    });

    [XdpFact]
    public Task An_idle_queue_sleeps_until_its_interrupt_and_a_busy_polled_one_spins() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 1);
        foreach (var busy in new[] { false, true })
        {
            using var driver = lab.OpenDriver(1, FrameAction.Forward, busyPoll: busy);
            driver.Start();
            var sent = lab.Send(first: 0, count: 50, repeat: 100);
            VethLab.WaitQuiet(() => driver.Received, Quiet);
            var before = driver.Queues[0].Polls;
            Thread.Sleep(500);
            var idlePolls = driver.Queues[0].Polls - before;

            // Frames after an idle spell wake the queue again.
            var beforeSecond = driver.Received;
            sent += lab.Send(first: 1000, count: 50, repeat: 100);
            VethLab.WaitQuiet(() => driver.Received, Quiet);
            var afterSecond = driver.Received;
            var reports = driver.Unload(TimeSpan.FromSeconds(10));

            if (busy)
            {
                Assert.True(idlePolls > 100, $"busy polling polled {idlePolls} times in 500 ms of no traffic");
            }
            else
            {
                Assert.True(idlePolls <= 2, $"an idle queue polled {idlePolls} times in 500 ms with no frame to wake it");
            }

            Assert.True(afterSecond > beforeSecond, "frames after the idle spell were received");
            Assert.Equal(sent, Accounted(reports));
            AssertUnloaded(reports);
        }
    });

    [XdpFact]
    public Task Checked_mixed_mode_keeps_every_chunk_in_one_place() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 1);
        using var capture = new PeerCapture(lab);
        using var driver = lab.OpenDriver(1, FrameAction.Program, checkedMode: true);
        driver.Start();

        // One frame per sequence number, so the program's verdicts (by seq mod 20) all occur.
        var sent = lab.Send(first: 0, count: 4000);
        VethLab.WaitQuiet(() => driver.Received + driver.Stack.Delivered, Quiet);
        var reports = driver.Unload(TimeSpan.FromSeconds(10));

        var rx = driver.Queues[0];
        Assert.True(rx.Dropped > 0 && rx.Passed > 0 && rx.Transmitted > 0 && rx.Redirected > 0,
            $"every verdict happened: drop {rx.Dropped}, pass {rx.Passed}, tx {rx.Transmitted}, redirect {rx.Redirected}");
        Assert.Equal(0, rx.Aborted);
        Assert.Equal(rx.Passed, driver.Stack.Delivered + driver.Stack.Dropped);
        Assert.Equal(sent, Accounted(reports));
        AssertUnloaded(reports);
    });

    [XdpFact]
    public Task Checked_mode_refuses_a_chunk_the_kernel_already_holds() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 1);
        var config = new XskConfig { Frames = 64, FillRingSize = 64, RxRingSize = 64, TxRingSize = 64, CompletionRingSize = 64 };
        using var device = lab.Ns.Run(() => XdpInterface.Open(VethLab.Receiver, 1, XdpAttachMode.Native, config));
        var socket = device.Sockets[0];
        var pool = PoolRules.Runtime.PagePool.Create(new PoolRules.Runtime.PagePoolParams
        {
            Flags = PoolRules.Runtime.PagePoolFlags.DmaMap,
            Device = socket.Umem.Device,
            DmaDirection = PoolRules.Runtime.DmaDirection.Bidirectional,
            PageAllocator = socket.Umem,
            Checked = true,
        });
        var queue = new XskQueue(socket, checkedMode: true);
        Assert.Equal(1, queue.ReservePosts(1));
        var page = pool.DevAllocPages()!;
        Assert.Equal((ulong)socket.Umem.ChunkOf(page.Address) * Umem.ChunkSize, pool.GetDmaAddress(page));
        queue.Post(page);

        // The same page again (a driver posting a page it no longer owns): refused; the kernel's copy stays the kernel's.
        var inflight = pool.Inflight;
        var ex = Assert.Throws<InvalidOperationException>(() => queue.Post(page));
        Assert.Contains("posted while the kernel already holds it", ex.Message, StringComparison.Ordinal);
        Assert.Equal(inflight, pool.Inflight);

        device.CloseSockets();
        Assert.True(queue.TryTakeBack(out var back));
        Assert.Same(page, back);
        Assert.False(queue.TryTakeBack(out _));
        pool.PutFullPage(back, allowDirect: false);
        pool.Destroy();
        Assert.True(pool.Freed.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, pool.Inflight);
        Assert.Equal(64, socket.Umem.FreeChunks);
    });

    [XdpFact]
    public Task Two_queues_each_get_their_own_pool_and_their_own_frames() => Task.Run(() =>
    {
        Assert.True(Environment.ProcessorCount >= 2, "needs 2 CPUs: the sending CPU picks the receiving queue");
        using var lab = new VethLab(queues: 2);
        using var driver = lab.OpenDriver(2, FrameAction.Drop, checkedMode: true);
        var seen = new ConcurrentQueue<(int Queue, long Seq)>();
        foreach (var queue in driver.Queues)
        {
            queue.Tap = (q, frame) =>
            {
                if (SampleFrames.TryRead(frame, out var seq))
                {
                    seen.Enqueue((q, seq));
                }
            };
        }

        driver.Start();
        var sent = lab.Send(first: 0, count: 1000, cpu: 0) + lab.Send(first: 100_000, count: 1000, cpu: 1);
        VethLab.WaitQuiet(() => driver.Received, Quiet);
        var reports = driver.Unload(TimeSpan.FromSeconds(10));

        Assert.NotSame(driver.Queues[0].Pool, driver.Queues[1].Pool);
        var byQueue = seen.GroupBy(s => s.Queue).ToDictionary(g => g.Key, g => g.Select(s => s.Seq).ToArray());
        Assert.True(byQueue.ContainsKey(0) && byQueue.ContainsKey(1), "both queues received frames");
        Assert.All(byQueue[0], seq => Assert.InRange(seq, 0, 999));
        Assert.All(byQueue[1], seq => Assert.InRange(seq, 100_000, 100_999));
        Assert.Equal(sent, Accounted(reports));
        AssertUnloaded(reports);
    });

    [XdpFact]
    public Task Teardown_under_traffic_leaves_nothing_inflight() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 1);
        var driver = lab.OpenDriver(1, FrameAction.Program, checkedMode: true);
        driver.Start();
        var stop = 0;
        var source = Task.Run(() => lab.Send(first: 0, count: long.MaxValue / 2, repeat: 64, stop: () => Volatile.Read(ref stop) != 0));
        Assert.True(VethLab.WaitUntil(() => driver.Received > 10_000, TimeSpan.FromSeconds(20)), "traffic flows");

        // Unload while frames keep arriving: detach, drain, close, give every chunk back.
        var reports = driver.Unload(TimeSpan.FromSeconds(10));
        Volatile.Write(ref stop, 1);
        Assert.True(source.Wait(TimeSpan.FromSeconds(20)));

        AssertUnloaded(reports);
        Assert.Equal(0, Umem.LiveMappings);
    });

    [XdpFact]
    public Task A_UMEM_smaller_than_its_rings_runs_on_what_it_has_and_loses_nothing() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 1);
        var config = new XskConfig { Frames = 48, FillRingSize = 256, RxRingSize = 256, TxRingSize = 256, CompletionRingSize = 256 };
        using var driver = lab.OpenDriver(1, FrameAction.Program, checkedMode: true, config: config);
        driver.Start();

        var sent = lab.Send(first: 0, count: 300, repeat: 16);
        VethLab.WaitQuiet(() => driver.Received + driver.Stack.Delivered, Quiet);
        var reports = driver.Unload(TimeSpan.FromSeconds(10));

        Assert.True(driver.Queues[0].RefillFailed > 0, "the pool ran dry and the poll went on without a page");
        Assert.True(reports[0].Received > 0);
        Assert.Equal(sent, Accounted(reports));
        Assert.Equal(48, reports[0].UmemChunks);
        AssertUnloaded(reports);
    });

    [XdpFact]
    public Task Generic_mode_receives_as_native_mode_does() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 1, generic: true);
        using var driver = lab.OpenDriver(1, FrameAction.Drop, mode: XdpAttachMode.Generic);
        driver.Start();

        var sent = lab.Send(first: 0, count: 100, repeat: 64);
        VethLab.WaitQuiet(() => driver.Received, Quiet);
        var reports = driver.Unload(TimeSpan.FromSeconds(10));

        Assert.True(reports[0].Received > 0);
        Assert.Equal(sent, Accounted(reports));
        AssertUnloaded(reports);
    });

    private static long Accounted(IReadOnlyList<XdpQueueReport> reports) =>
        reports.Sum(r => r.Received + r.LeftOnRing + (long)r.Socket.RxRingFull + (long)r.Socket.RxDropped);

    private static void AssertUnloaded(IReadOnlyList<XdpQueueReport> reports)
    {
        Assert.All(reports, r =>
        {
            Assert.Equal(0, r.Inflight);
            Assert.Equal(r.UmemChunks, r.UmemFreeChunks);
            Assert.Equal(0UL, r.Socket.RxInvalidDescriptors);
            Assert.Equal(0UL, r.Socket.TxInvalidDescriptors);
        });
    }
}
