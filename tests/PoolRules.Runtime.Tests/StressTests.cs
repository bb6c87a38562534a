using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// A NAPI poll allocates and recycles directly while other threads return pages through the ring (some of them
/// shared first, so they are released): afterwards nothing is inflight, every native byte is back, and no page
/// was ever handed out twice at once.
/// </summary>
public sealed class StressTests
{
    private const int Returners = 3;

    // Pages waiting for the returner threads; beyond this the poll recycles directly, bounding memory.
    private const int MaxBacklog = 2048;

    [Theory]
    [InlineData(false, 300_000)]
    [InlineData(true, 50_000)]
    public void Concurrent_ring_returns_and_direct_recycling_lose_nothing_and_never_share_a_page(bool isChecked, int operations)
    {
        var allocator = new CountingPageAllocator();
        var device = new CheckingDmaDevice();
        var dev = new NetDevice("eth0", 1, 1);
        var outstanding = new ConcurrentDictionary<nint, Page>();
        var queues = Enumerable.Range(0, Returners).Select(_ => new ConcurrentQueue<(Page Page, long Stamp)>()).ToArray();
        var backlog = 0;
        var pollDone = new ManualResetEventSlim();
        Exception? pollFailure = null;
        long allocated = 0, puts = 0, stamp = 0;
        var batch = new List<(Page Page, long Stamp)>(64);
        PagePool pool = null!;

        var napi = new Napi(dev, (n, budget) =>
        {
            try
            {
                for (var i = 0; i < budget; i++)
                {
                    var page = pool.AllocPages(AllocFlags.Atomic) ?? throw new InvalidOperationException("allocation failed");
                    if (!outstanding.TryAdd(page.Address, page))
                    {
                        throw new InvalidOperationException($"page 0x{page.Address:x} handed out while still out");
                    }

                    Assert.Equal(1, page.RefCount);
                    stamp++;
                    MemoryMarshal.Write(page.Span, in stamp);
                    batch.Add((page, stamp));
                }

                allocated += budget;
                foreach (var (page, pageStamp) in batch)
                {
                    if (MemoryMarshal.Read<long>(page.Span) != pageStamp)
                    {
                        throw new InvalidOperationException("a page changed under its owner");
                    }

                    if ((pageStamp & 1) == 0 || Volatile.Read(ref backlog) > MaxBacklog)
                    {
                        outstanding.TryRemove(page.Address, out _);
                        pool.RecycleDirect(page);
                        puts++;
                    }
                    else
                    {
                        Interlocked.Increment(ref backlog);
                        queues[pageStamp % Returners].Enqueue((page, pageStamp));
                    }
                }

                batch.Clear();
                if (allocated < operations)
                {
                    return budget; // whole budget used: polled again
                }
            }
            catch (Exception ex)
            {
                pollFailure = ex;
            }

            n.CompleteDone(0);
            pollDone.Set();
            return 0;
        });

        pool = PagePool.Create(new PagePoolParams
        {
            Checked = isChecked,
            Napi = napi,
            PoolSize = 256,
            PageAllocator = allocator,
            Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
            Device = device,
            DmaDirection = DmaDirection.FromDevice,
            MaxLength = 1500,
            Offset = 64,
            Name = "stress",
        });

        long ringPuts = 0, releases = 0;
        var returners = TestThreads.Start(Returners, id =>
        {
            var queue = queues[id];
            var spin = new SpinWait();
            while (true)
            {
                if (!queue.TryDequeue(out var item))
                {
                    if (pollDone.IsSet && queue.IsEmpty)
                    {
                        return;
                    }

                    spin.SpinOnce();
                    continue;
                }

                Interlocked.Decrement(ref backlog);
                var (page, pageStamp) = item;
                Assert.Equal(pageStamp, MemoryMarshal.Read<long>(page.Span));
                Assert.True(outstanding.TryRemove(page.Address, out var tracked));
                Assert.Same(page, tracked);
                if (pageStamp % 97 == 0)
                {
                    // The stack kept a reference: the put releases the page, the last Put frees it.
                    page.Get();
                    pool.PutFullPage(page, allowDirect: false);
                    page.Put();
                    Interlocked.Increment(ref releases);
                }
                else
                {
                    pool.PutPage(page, 512, allowDirect: false);
                }

                Interlocked.Increment(ref ringPuts);
            }
        });

        napi.Enable();
        Assert.True(napi.Schedule());
        Assert.True(pollDone.Wait(TimeSpan.FromSeconds(30)), "the poll did not finish");
        returners.Join();
        napi.Disable();
        Assert.Null(pollFailure);

        Assert.Empty(outstanding);
        var stats = pool.GetStats();
        // Every allocation was served by exactly one path, every put went exactly one way.
        Assert.Equal(allocated, stats.AllocFast + stats.AllocSlow + stats.AllocRefill);
        Assert.Equal(puts + ringPuts, stats.RecycleCached + stats.RecycleRing + stats.RecycleRingFull + stats.RecycleReleasedRefcount);
        Assert.Equal(releases, stats.RecycleReleasedRefcount);
        Assert.True(stats.AllocRefill > 0, "the ring was used to refill");

        pool.Destroy();

        Assert.True(pool.Freed.IsCompletedSuccessfully);
        Assert.Equal(0, pool.Inflight);
        Assert.Equal(0, allocator.LiveBlocks);
        Assert.Equal(0, allocator.LiveBytes);
        Assert.Equal(0, allocator.BadFrees);
        Assert.Equal(allocator.AllocCalls, allocator.FreeCalls);
        device.ThrowIfMappingsLeaked();
    }

    [Fact]
    public void Many_threads_putting_into_one_ring_while_the_pool_refills_keep_inflight_exact()
    {
        var allocator = new CountingPageAllocator();
        var pool = PagePool.Create(new PagePoolParams { PageAllocator = allocator, PoolSize = 128 });
        const int rounds = 200;
        const int perRound = 3 * PagePool.CacheRefill;

        for (var round = 0; round < rounds; round++)
        {
            var pages = pool.AllocMany(perRound);
            Assert.Equal(pages.Count, pages.Select(p => p.Address).Distinct().Count());
            var threads = TestThreads.Start(3, t =>
            {
                for (var i = t; i < pages.Count; i += 3)
                {
                    pool.PutFullPage(pages[i], allowDirect: false);
                }
            });
            threads.Join();

            // Between rounds the pool holds exactly what the allocator has handed it.
            Assert.Equal(allocator.LiveBlocks, pool.Inflight);
        }

        pool.Destroy();
        Assert.True(pool.Freed.IsCompleted);
        Assert.Equal(0, allocator.LiveBlocks);
        Assert.Equal(0, allocator.BadFrees);
    }
}
