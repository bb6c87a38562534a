using System;
using System.Diagnostics.Tracing;

namespace PoolRules.Runtime;

/// <summary>
/// The <c>PoolRules-PagePool</c> event source: pool created, destroyed and freed, stalled shutdown, DMA mapping
/// failures, and at verbose level the kernel's <c>page_pool_state_hold</c>/<c>page_pool_state_release</c>
/// tracepoints. Every event is written from a slow path (a fresh page, a page leaving the pool, a shutdown), behind
/// <see cref="EventSource.IsEnabled()"/>, so a recycle never pays for it. Shapes without a typed WriteEvent overload
/// go through the <c>EventSourcePrimitive</c> one (.NET 8), which is trim-safe and allocates only when enabled.
/// </summary>
[EventSource(Name = SourceName)]
internal sealed class PagePoolEventSource : EventSource
{
    public const string SourceName = "PoolRules-PagePool";

    public static readonly PagePoolEventSource Log = new();

    private PagePoolEventSource()
    {
    }

    public static class Keywords
    {
        /// <summary>Pool life: created, destroyed, freed, stalled shutdown, mapping failures.</summary>
        public const EventKeywords Pool = (EventKeywords)1;

        /// <summary>Page hold and release (verbose).</summary>
        public const EventKeywords PageState = (EventKeywords)2;
    }

    [Event(1, Level = EventLevel.Informational, Keywords = Keywords.Pool, Message = "page_pool {0} '{1}' created: order {2}, ring {3}")]
    public void PoolCreated(long poolId, string name, int order, int ringCapacity)
    {
        if (IsEnabled(EventLevel.Informational, Keywords.Pool))
        {
            WriteEvent(1, poolId, name, order, ringCapacity);
        }
    }

    [Event(2, Level = EventLevel.Informational, Keywords = Keywords.Pool, Message = "page_pool {0} '{1}' destroyed, {2} pages inflight")]
    public void PoolDestroyed(long poolId, string name, long inflight)
    {
        if (IsEnabled(EventLevel.Informational, Keywords.Pool))
        {
            WriteEvent(2, poolId, name, inflight);
        }
    }

    [Event(3, Level = EventLevel.Informational, Keywords = Keywords.Pool, Message = "page_pool {0} '{1}' freed")]
    public void PoolFreed(long poolId, string name)
    {
        if (IsEnabled(EventLevel.Informational, Keywords.Pool))
        {
            WriteEvent(3, poolId, name);
        }
    }

    [Event(4, Level = EventLevel.Warning, Keywords = Keywords.Pool, Message = "page_pool {0} '{1}': stalled pool shutdown, {2} inflight {3} sec")]
    public void StalledShutdown(long poolId, string name, long inflight, long elapsedSeconds, string allocationStacks)
    {
        if (IsEnabled(EventLevel.Warning, Keywords.Pool))
        {
            WriteEvent(4, poolId, name, inflight, elapsedSeconds, allocationStacks);
        }
    }

    [Event(5, Level = EventLevel.Verbose, Keywords = Keywords.PageState, Message = "page_pool {0}: hold page 0x{1:x}, hold {2}")]
    public void PageHold(long poolId, long page, long hold)
    {
        if (IsEnabled(EventLevel.Verbose, Keywords.PageState))
        {
            WriteEvent(5, poolId, page, hold);
        }
    }

    [Event(6, Level = EventLevel.Verbose, Keywords = Keywords.PageState, Message = "page_pool {0}: release page 0x{1:x}, release {2}")]
    public void PageRelease(long poolId, long page, long release)
    {
        if (IsEnabled(EventLevel.Verbose, Keywords.PageState))
        {
            WriteEvent(6, poolId, page, release);
        }
    }

    [Event(7, Level = EventLevel.Warning, Keywords = Keywords.Pool, Message = "page_pool {0} '{1}': DMA mapping of page 0x{2:x} failed: {3}")]
    public void MapFailed(long poolId, string name, long page, string error)
    {
        if (IsEnabled(EventLevel.Warning, Keywords.Pool))
        {
            WriteEvent(7, poolId, name, page, error);
        }
    }
}
