using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Linq;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// The <c>PoolRules-PagePool</c> event source: pool created, destroyed, freed, stalled shutdown, DMA mapping
/// failures, and page hold/release at verbose level only.
/// </summary>
public sealed class EventSourceTests
{
    private sealed class Listener : EventListener
    {
        private readonly EventLevel _level;
        private readonly ConcurrentQueue<EventWrittenEventArgs> _events = new();
        private EventSource? _source;

        public Listener(EventLevel level)
        {
            _level = level;
            if (_source is { } source)
            {
                EnableEvents(source, _level);
            }
        }

        // Events of one pool, by its id (every event's first payload); other tests' pools write too.
        public List<EventWrittenEventArgs> Of(PagePool pool) => _events.Where(e => e.Payload is { Count: > 0 } p && Equals(p[0], pool.Id)).ToList();

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "PoolRules-PagePool")
            {
                // Called from the base constructor, before _level is set: then the constructor enables it.
                _source = eventSource;
                if (_level != 0)
                {
                    EnableEvents(eventSource, _level);
                }
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData) => _events.Enqueue(eventData);
    }

    private static object? Payload(EventWrittenEventArgs e, string name) => e.Payload![e.PayloadNames!.IndexOf(name)];

    [Fact]
    public void A_pools_life_is_created_destroyed_freed_with_its_id_name_and_inflight()
    {
        using var listener = new Listener(EventLevel.Informational);
        var pool = PagePool.Create(new PagePoolParams { Name = "es-life", PoolSize = 256 });
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.PutAll(pool.AllocMany(10), allowDirect: true);
        pool.Destroy();
        pool.PutFullPage(page, allowDirect: false);

        var events = listener.Of(pool);

        Assert.Equal(["PoolCreated", "PoolDestroyed", "PoolFreed"], events.Select(e => e.EventName));
        Assert.All(events, e => Assert.Equal("es-life", Payload(e, "name")));
        Assert.Equal(256, Payload(events[0], "ringCapacity"));
        Assert.Equal(1L, Payload(events[1], "inflight"));
        Assert.Equal(EventLevel.Informational, events[1].Level);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_stalled_shutdown_is_a_warning_with_the_inflight_count_and_in_checked_mode_the_allocation_stacks(bool isChecked)
    {
        using var listener = new Listener(EventLevel.Warning);
        var time = new FakeTimeProvider();
        var pool = PagePool.Create(new PagePoolParams
        {
            Name = "es-stalled",
            Checked = isChecked,
            TimeProvider = time,
            ShutdownWarnPeriod = TimeSpan.FromSeconds(60),
        });
        pool.StalledShutdown += (_, _) => { };
        var pages = pool.AllocMany(2);
        pool.Destroy();
        time.Advance(TimeSpan.FromSeconds(61));

        var stalled = listener.Of(pool).Where(e => e.EventName == "StalledShutdown").ToList();

        Assert.Equal(isChecked ? 2 : 1, stalled.Count); // checked mode reports once at Destroy too
        Assert.All(stalled, e =>
        {
            Assert.Equal(EventLevel.Warning, e.Level);
            Assert.Equal(2L, Payload(e, "inflight"));
            var stacks = (string)Payload(e, "allocationStacks")!;
            if (isChecked)
            {
                Assert.Contains(nameof(A_stalled_shutdown_is_a_warning_with_the_inflight_count_and_in_checked_mode_the_allocation_stacks), stacks);
            }
            else
            {
                Assert.Empty(stacks);
            }
        });
        Assert.Equal(60L, Payload(stalled[^1], "elapsedSeconds"));
        Assert.DoesNotContain(listener.Of(pool), e => e.EventName is "PoolCreated" or "PoolDestroyed"); // informational
        pool.PutAll(pages, allowDirect: false);
    }

    [Fact]
    public void Page_hold_and_release_are_written_at_verbose_level_with_the_kernels_counts()
    {
        using var listener = new Listener(EventLevel.Verbose);
        var pool = PagePool.Create(new PagePoolParams { Name = "es-verbose", Order = 1 });
        var pages = pool.AllocMany(3);
        var addresses = pages.Select(p => (long)p.Address).Order().ToList();
        pool.ReleasePage(pages[0]);
        pages[0].Put();
        pool.PutAll(pages.Skip(1), allowDirect: true);
        pool.Destroy();

        var events = listener.Of(pool);
        var holds = events.Where(e => e.EventName == "PageHold").ToList();
        var releases = events.Where(e => e.EventName == "PageRelease").ToList();

        Assert.Equal([1L, 2L, 3L], holds.Select(e => Payload(e, "hold")));
        Assert.Equal([1L, 2L, 3L], releases.Select(e => Payload(e, "release")));
        Assert.Equal(addresses, holds.Select(e => (long)Payload(e, "page")!).Order());
        Assert.All(holds.Concat(releases), e => Assert.Equal(EventLevel.Verbose, e.Level));
    }

    [Fact]
    public void Page_events_stay_off_below_verbose()
    {
        using var listener = new Listener(EventLevel.Informational);
        var pool = PagePool.Create(new PagePoolParams { Name = "es-quiet" });
        pool.PutAll(pool.AllocMany(4), allowDirect: false);
        pool.Destroy();

        Assert.DoesNotContain(listener.Of(pool), e => e.EventName is "PageHold" or "PageRelease");
        Assert.Contains(listener.Of(pool), e => e.EventName == "PoolFreed");
    }

    [Fact]
    public void Each_refused_dma_mapping_is_a_map_failed_warning_as_the_stats_count_it()
    {
        using var listener = new Listener(EventLevel.Warning);
        var device = new RecordingDmaDevice { FailMapEvery = 4 };
        var pool = PagePool.Create(new PagePoolParams
        {
            Name = "es-map",
            Flags = PagePoolFlags.DmaMap,
            Device = device,
            DmaDirection = DmaDirection.FromDevice,
        });
        var page = pool.AllocPages(AllocFlags.Atomic)!;

        var failed = listener.Of(pool).Where(e => e.EventName == "MapFailed").ToList();

        Assert.Equal(PagePool.CacheRefill / 4, failed.Count);
        Assert.Equal(pool.GetStats().AllocMapFailed, failed.Count);
        Assert.All(failed, e =>
        {
            Assert.Equal(EventLevel.Warning, e.Level);
            Assert.Contains("injected mapping failure", (string)Payload(e, "error")!);
        });
        pool.RecycleDirect(page);
        pool.Destroy();
        Assert.Empty(device.LiveMappings);
    }
}
