using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;

namespace PoolRules.Runtime;

public sealed partial class PagePool
{
    /// <summary>The name of the <see cref="Meter"/> that reports every live pool (<c>dotnet-counters --counters PoolRules.PagePool</c>).</summary>
    public const string MeterName = "PoolRules.PagePool";

    // Every pool not yet freed, in creation order: what Live and the meter's callbacks read (page-pool-get, 6.8).
    // Held strongly, as the kernel holds a pool until it is destroyed and its last page came back.
    private static readonly List<PagePool> s_live = new();
    private static long s_lastId;

    private static readonly string[] AllocSources = ["fast", "slow", "slow_high_order", "empty", "refill", "waive"];
    private static readonly string[] RecycleOutcomes = ["cached", "cache_full", "ring", "ring_full", "released_refcnt"];

    // The instruments read the counters the pool keeps anyway, when a listener asks: nothing on the fast path.
    private static readonly Meter s_meter = CreateMeter();

    // UTC ticks of the shutdown, 0 while in use: one word, so Live reads it without the shutdown lock.
    private long _destroyedAtTicks;
    private NetDevice? _netDevice;
    private int _queueIndex = -1;

    /// <summary>The pool's id (the kernel's <c>pool->user.id</c>): unique in the process, from 1, never reused.</summary>
    public long Id { get; } = Interlocked.Increment(ref s_lastId);

    /// <summary>
    /// Every pool not yet freed (the kernel's <c>page-pool-get</c> netlink dump): a destroyed pool stays until its last
    /// inflight page came back, so this answers "what is still holding memory". A snapshot, in creation order.
    /// </summary>
    public static IReadOnlyList<PagePoolInfo> Live
    {
        get
        {
            PagePool[] pools;
            lock (s_live)
            {
                pools = s_live.ToArray();
            }

            var infos = new PagePoolInfo[pools.Length];
            for (var i = 0; i < pools.Length; i++)
            {
                infos[i] = pools[i].Describe();
            }

            return infos;
        }
    }

    private PagePoolInfo Describe()
    {
        var inflight = Inflight;
        NetDevice? dev;
        int queue;
        lock (_queues)
        {
            dev = _netDevice;
            queue = _queueIndex;
        }

        return new PagePoolInfo(Id, _name, dev?.Name, dev is null ? null : queue, _napi?.Name, inflight,
            inflight * (PageAllocator.PageSize << _order),
            Volatile.Read(ref _destroyedAtTicks) is var ticks and not 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null);
    }

    private void AddToLive()
    {
        lock (s_live)
        {
            s_live.Add(this);
        }

        if (PagePoolEventSource.Log.IsEnabled())
        {
            PagePoolEventSource.Log.PoolCreated(Id, _name, _order, RingCapacity);
        }
    }

    private void RemoveFromLive()
    {
        lock (s_live)
        {
            s_live.Remove(this);
        }
    }

    // Under _queues' lock.
    private void SetQueue(NetDevice dev, int queueIndex)
    {
        _netDevice = dev;
        _queueIndex = queueIndex;
    }

    private static Meter CreateMeter()
    {
        var meter = new Meter(MeterName);
        meter.CreateObservableUpDownCounter("poolrules.page_pool.inflight", () => Observe(static (p, _) => p.Inflight, null), "{page}",
            "Pages taken from the page allocator and not yet given back: with the driver or in the pool's caches.");
        meter.CreateObservableUpDownCounter("poolrules.page_pool.inflight_bytes", () => Observe(static (p, _) => p.Inflight * (PageAllocator.PageSize << p._order), null), "By",
            "Bytes of the inflight pages.");
        meter.CreateObservableCounter("poolrules.page_pool.alloc", () => Observe(static (p, s) => s switch
        {
            "fast" => Volatile.Read(ref p._allocFast),
            "slow" => Volatile.Read(ref p._allocSlow),
            "slow_high_order" => Volatile.Read(ref p._allocSlowHighOrder),
            "empty" => Volatile.Read(ref p._allocEmpty),
            "refill" => Volatile.Read(ref p._allocRefill),
            _ => Volatile.Read(ref p._allocWaive),
        }, ("source", AllocSources)), "{allocation}", "Allocations by how they were served (page_pool_get_stats).");
        meter.CreateObservableCounter("poolrules.page_pool.recycle", () => Observe(static (p, s) => s switch
        {
            "cached" => Volatile.Read(ref p._recycleCached),
            "cache_full" => Volatile.Read(ref p._recycleCacheFull),
            "ring" => p._put.Ring.Produced,
            "ring_full" => Volatile.Read(ref p._shared.RingFull),
            _ => Volatile.Read(ref p._shared.ReleasedRefcount),
        }, ("outcome", RecycleOutcomes)), "{page}", "Puts by where the page went (page_pool_get_stats).");
        return meter;
    }

    // One measurement per live pool, or per pool and value of the split tag.
    private static List<Measurement<long>> Observe(Func<PagePool, string?, long> read, (string Tag, string[] Values)? split)
    {
        PagePool[] pools;
        lock (s_live)
        {
            pools = s_live.ToArray();
        }

        var measurements = new List<Measurement<long>>(pools.Length * (split?.Values.Length ?? 1));
        foreach (var pool in pools)
        {
            var tags = pool.Tags();
            if (split is not { } by)
            {
                measurements.Add(new Measurement<long>(read(pool, null), tags));
                continue;
            }

            foreach (var value in by.Values)
            {
                var withSplit = new KeyValuePair<string, object?>[tags.Length + 1];
                tags.CopyTo(withSplit, 0);
                withSplit[tags.Length] = new(by.Tag, value);
                measurements.Add(new Measurement<long>(read(pool, value), withSplit));
            }
        }

        return measurements;
    }

    private KeyValuePair<string, object?>[] Tags()
    {
        NetDevice? dev;
        int queue;
        lock (_queues)
        {
            dev = _netDevice;
            queue = _queueIndex;
        }

        return dev is null
            ? [new("pool.name", _name), new("pool.id", Id)]
            : [new("pool.name", _name), new("pool.id", Id), new("net.device", dev.Name), new("queue", queue)];
    }
}

/// <summary>One pool in <see cref="PagePool.Live"/>: what the kernel's <c>page-pool-get</c> reports.</summary>
/// <param name="Id">The pool's <see cref="PagePool.Id"/>.</param>
/// <param name="Name">The pool's name.</param>
/// <param name="Device">The device of the RX queue the pool was (first) registered on; null before any registration.</param>
/// <param name="Queue">That RX queue's index; null before any registration.</param>
/// <param name="Napi">The name of the NAPI instance that owns the fast cache, if any.</param>
/// <param name="Inflight">Pages not yet given back (<see cref="PagePool.Inflight"/>).</param>
/// <param name="InflightBytes">Their bytes.</param>
/// <param name="DestroyedAt">When the pool was destroyed (by its time provider's clock); null while it is in use.</param>
public readonly record struct PagePoolInfo(long Id, string Name, string? Device, int? Queue, string? Napi, long Inflight, long InflightBytes, DateTimeOffset? DestroyedAt);
