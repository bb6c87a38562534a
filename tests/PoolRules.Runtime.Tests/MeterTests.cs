using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// The <c>PoolRules.PagePool</c> meter: observable instruments per pool, read from the pool's own counters when a
/// listener collects, tagged with the pool's name and id and, once registered, its device and queue.
/// </summary>
public sealed class MeterTests : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly Dictionary<string, Instrument> _instruments = new();

    public MeterTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PagePool.MeterName)
            {
                lock (_instruments)
                {
                    _instruments[instrument.Name] = instrument;
                }

                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            lock (_measurements)
            {
                _measurements.Add((instrument.Name, value, copy));
            }
        });
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    // One collection; the measurements of this pool only (other tests' pools run in parallel).
    private List<(string Instrument, long Value, Dictionary<string, object?> Tags)> Collect(PagePool pool)
    {
        lock (_measurements)
        {
            _measurements.Clear();
        }

        _listener.RecordObservableInstruments();
        lock (_measurements)
        {
            return _measurements.Where(m => m.Tags.TryGetValue("pool.id", out var id) && Equals(id, pool.Id)).ToList();
        }
    }

    private static long Value(List<(string Instrument, long Value, Dictionary<string, object?> Tags)> ms, string instrument, string? tag = null, string? tagValue = null) =>
        Assert.Single(ms, m => m.Instrument == instrument && (tag is null || Equals(m.Tags[tag], tagValue))).Value;

    [Fact]
    public void The_meter_publishes_the_five_instruments_with_their_units()
    {
        using var pool = PagePool.Create(new PagePoolParams { Name = "meter-units" });

        lock (_instruments)
        {
            Assert.Equal("{page}", _instruments["poolrules.page_pool.inflight"].Unit);
            Assert.Equal("By", _instruments["poolrules.page_pool.inflight_bytes"].Unit);
            Assert.IsType<ObservableCounter<long>>(_instruments["poolrules.page_pool.alloc"]);
            Assert.IsType<ObservableCounter<long>>(_instruments["poolrules.page_pool.recycle"]);
            Assert.IsType<ObservableUpDownCounter<long>>(_instruments["poolrules.page_pool.inflight"]);
        }
    }

    [Fact]
    public void Each_instrument_reads_the_pools_counters_with_one_series_per_source_and_outcome()
    {
        var allocator = new CountingPageAllocator();
        var pool = PagePool.Create(new PagePoolParams { Name = "meter-stats", PageAllocator = allocator, Order = 1, PoolSize = 2 });
        var pages = pool.AllocMany(6);
        pool.PutAll(pages.Take(2), allowDirect: true);
        pool.PutAll(pages.Skip(2).Take(3), allowDirect: false); // two into the ring of 2, one ring-full
        pages[5].Get();
        pool.PutFullPage(pages[5], allowDirect: false);
        pages[5].Put();
        pool.AllocMany(3); // from the cache, then a refill from the ring

        var ms = Collect(pool);
        var stats = pool.GetStats();

        Assert.Equal(pool.Inflight, Value(ms, "poolrules.page_pool.inflight"));
        Assert.Equal(pool.Inflight * 8192, Value(ms, "poolrules.page_pool.inflight_bytes"));
        Assert.Equal(stats.AllocFast, Value(ms, "poolrules.page_pool.alloc", "source", "fast"));
        Assert.Equal(stats.AllocSlow, Value(ms, "poolrules.page_pool.alloc", "source", "slow"));
        Assert.Equal(stats.AllocSlowHighOrder, Value(ms, "poolrules.page_pool.alloc", "source", "slow_high_order"));
        Assert.Equal(stats.AllocEmpty, Value(ms, "poolrules.page_pool.alloc", "source", "empty"));
        Assert.Equal(stats.AllocRefill, Value(ms, "poolrules.page_pool.alloc", "source", "refill"));
        Assert.Equal(stats.AllocWaive, Value(ms, "poolrules.page_pool.alloc", "source", "waive"));
        Assert.Equal(stats.RecycleCached, Value(ms, "poolrules.page_pool.recycle", "outcome", "cached"));
        Assert.Equal(stats.RecycleCacheFull, Value(ms, "poolrules.page_pool.recycle", "outcome", "cache_full"));
        Assert.Equal(stats.RecycleRing, Value(ms, "poolrules.page_pool.recycle", "outcome", "ring"));
        Assert.Equal(stats.RecycleRingFull, Value(ms, "poolrules.page_pool.recycle", "outcome", "ring_full"));
        Assert.Equal(stats.RecycleReleasedRefcount, Value(ms, "poolrules.page_pool.recycle", "outcome", "released_refcnt"));

        // The counters moved: the measurements are the pool's, not zeros.
        Assert.Equal(6, stats.AllocSlowHighOrder);
        Assert.Equal((2, 2, 1, 1), (stats.RecycleCached, stats.RecycleRing, stats.RecycleRingFull, stats.RecycleReleasedRefcount));
        Assert.Equal(1, stats.AllocRefill);
        Assert.Equal(13, ms.Count);
        Assert.All(ms, m => Assert.Equal("meter-stats", m.Tags["pool.name"]));
    }

    [Fact]
    public void A_pool_registered_on_an_rx_queue_is_tagged_with_its_device_and_queue()
    {
        var dev = new NetDevice("meter0", 4, 4);
        var pool = PagePool.Create(new PagePoolParams { Name = "meter-rxq" });
        Assert.All(Collect(pool), m => Assert.False(m.Tags.ContainsKey("net.device")));
        var rxq = new XdpRxQueueInfo();
        rxq.Register(dev, 2);
        rxq.RegisterMemoryModel(MemoryModelType.PagePool, pool);

        var ms = Collect(pool);

        Assert.Equal(13, ms.Count);
        Assert.All(ms, m =>
        {
            Assert.Equal("meter0", m.Tags["net.device"]);
            Assert.Equal(2, m.Tags["queue"]);
        });
        rxq.Unregister();
        pool.Destroy();
    }

    [Fact]
    public void A_freed_pool_is_no_longer_reported_and_a_destroyed_one_is_until_then()
    {
        var pool = PagePool.Create(new PagePoolParams { Name = "meter-freed" });
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        pool.Destroy();

        Assert.Equal(1, Value(Collect(pool), "poolrules.page_pool.inflight"));
        pool.PutFullPage(page, allowDirect: false);

        Assert.True(pool.Freed.IsCompletedSuccessfully);
        Assert.Empty(Collect(pool));
    }

    [Fact]
    public void Observing_allocates_nothing_on_the_pool_and_changes_no_counter()
    {
        var pool = PagePool.Create(new PagePoolParams { Name = "meter-quiet" });
        var page = pool.AllocPages(AllocFlags.Atomic)!;
        var before = pool.GetStats();

        for (var i = 0; i < 3; i++)
        {
            Collect(pool);
        }

        Assert.Equal(before, pool.GetStats());
        pool.RecycleDirect(page);
        pool.Destroy();
    }
}
