using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace PoolRules.Runtime;

public sealed partial class PagePool
{
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _retryPeriod;
    private readonly TimeSpan _warnPeriod;
    private readonly object _shutdownGate = new();
    private readonly TaskCompletionSource _freed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The pool's user count (page_pool's user_cnt): the driver holds one, each XDP memory-model registration one.
    private int _users = 1;
    private int _driverDestroyed;
    private volatile bool _destroying;
    private int _freedFlag;
    private ITimer? _retryTimer;
    private long _shutdownStart;
    private TimeSpan _nextWarn;

    /// <summary>
    /// Raised while a destroyed pool waits for pages the driver still holds: every
    /// <see cref="PagePoolParams.ShutdownWarnPeriod"/> (the kernel's "stalled pool shutdown" warning), and in checked
    /// mode once at <see cref="Destroy"/> with the allocation stack of every page still out.
    /// </summary>
    public event EventHandler<StalledShutdownEventArgs>? StalledShutdown;

    /// <summary>Completes when the pool is destroyed and its last inflight page came back: the pool is freed.</summary>
    public Task Freed => _freed.Task;

    /// <summary>True once <see cref="Destroy"/> ran (for the last user).</summary>
    public bool IsDestroyed => _destroying;

    /// <summary>
    /// <c>page_pool_destroy</c>: returns the cached and ring pages to the page allocator, unmaps every page still out
    /// (6.16: their later put or release frees them without a call to the device, so the device may go away), and frees the pool once
    /// every inflight page came back; until then it checks again every <see cref="PagePoolParams.ShutdownRetryPeriod"/>
    /// and raises <see cref="StalledShutdown"/>. Call after the pool's NAPI context is disabled. A pool still
    /// registered as an XDP memory model is torn down when the last registration goes. Calling it again does nothing.
    /// </summary>
    public void Destroy()
    {
        if (Interlocked.Exchange(ref _driverDestroyed, 1) != 0)
        {
            return;
        }

        ReleaseUser();
    }

    /// <summary>Calls <see cref="Destroy"/>.</summary>
    public void Dispose() => Destroy();

    internal void AddUser() => Interlocked.Increment(ref _users);

    internal void ReleaseUser()
    {
        if (Interlocked.Decrement(ref _users) == 0)
        {
            Shutdown();
        }
    }

    private void Shutdown()
    {
        // Handlers run after the lock is let go, so a slow one cannot hold up puts that finish the shutdown.
        var reportLeaks = false;
        lock (_shutdownGate)
        {
            _destroying = true;

            // Late direct puts (there should be none: NAPI is off) now bypass the cache and, with the ring closed,
            // go straight back to the page allocator.
            _cacheLimit = 0;
            if (_fragPage is { } fragPage && DrainFragment(fragPage) is { } reusable)
            {
                ReturnPage(reusable);
            }

            FlushCache();
            _put.Ring.Close();
            EmptyRing();
            UnmapInflight();
            Volatile.Write(ref _destroyedAtTicks, _timeProvider.GetUtcNow().UtcTicks);
            if (PagePoolEventSource.Log.IsEnabled())
            {
                PagePoolEventSource.Log.PoolDestroyed(Id, _name, Inflight);
            }

            if (TryFinishShutdown())
            {
                return;
            }

            _shutdownStart = _timeProvider.GetTimestamp();
            _nextWarn = _warnPeriod;
            reportLeaks = _put.Checked;
            _retryTimer = _timeProvider.CreateTimer(static state => ((PagePool)state!).RetryShutdown(), this, _retryPeriod, _retryPeriod);
        }

        if (reportLeaks)
        {
            RaiseStalled(TimeSpan.Zero);
        }
    }

    // page_pool_release_retry: pages put into the ring after it was closed (a producer that passed the check
    // just before) are freed here; then either the pool is done or the warning is due.
    private void RetryShutdown()
    {
        TimeSpan? warnAfter = null;
        lock (_shutdownGate)
        {
            if (Volatile.Read(ref _freedFlag) != 0)
            {
                // The last put freed the pool while Shutdown was still arming this timer.
                _retryTimer?.Dispose();
                return;
            }

            EmptyRing();
            if (TryFinishShutdown())
            {
                return;
            }

            var elapsed = _timeProvider.GetElapsedTime(_shutdownStart);
            if (elapsed >= _nextWarn)
            {
                _nextWarn = elapsed + _warnPeriod;
                warnAfter = elapsed;
            }
        }

        if (warnAfter is { } stalledFor)
        {
            RaiseStalled(stalledFor);
        }
    }

    private void EmptyRing()
    {
        while (_put.Ring.TryConsume() is { } page)
        {
            ReturnPage(page);
        }
    }

    private bool TryFinishShutdown()
    {
        if (Inflight != 0)
        {
            return false;
        }

        if (Interlocked.Exchange(ref _freedFlag, 1) == 0)
        {
            _retryTimer?.Dispose();
            RemoveFromLive();
            if (PagePoolEventSource.Log.IsEnabled())
            {
                PagePoolEventSource.Log.PoolFreed(Id, _name);
            }

            _freed.TrySetResult();
        }

        return true;
    }

    private void RaiseStalled(TimeSpan elapsed)
    {
        IReadOnlyList<StackTrace> stacks = Array.Empty<StackTrace>();
        if (_put.Checked)
        {
            lock (_inflightPages!)
            {
                stacks = _inflightPages.Select(p => p._allocationStack).OfType<StackTrace>().ToArray();
            }
        }

        var args = new StalledShutdownEventArgs(_name, Inflight, elapsed, stacks);
        if (PagePoolEventSource.Log.IsEnabled())
        {
            PagePoolEventSource.Log.StalledShutdown(Id, _name, args.Inflight, (long)elapsed.TotalSeconds, string.Join("\n\n", stacks));
        }

        var handler = StalledShutdown;
        if (handler is null)
        {
            Trace.TraceWarning(args.ToString());
            return;
        }

        handler(this, args);
    }
}

/// <summary>A destroyed pool is still waiting for pages: how many, since when, and (checked mode) where they were allocated.</summary>
public sealed class StalledShutdownEventArgs : EventArgs
{
    internal StalledShutdownEventArgs(string poolName, long inflight, TimeSpan elapsed, IReadOnlyList<StackTrace> allocationStacks)
    {
        PoolName = poolName;
        Inflight = inflight;
        Elapsed = elapsed;
        AllocationStacks = allocationStacks;
    }

    /// <summary>The pool's name.</summary>
    public string PoolName { get; }

    /// <summary>Pages still out.</summary>
    public long Inflight { get; }

    /// <summary>Time since <see cref="PagePool.Destroy"/>.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Where each page still out was allocated; empty unless the pool is checked.</summary>
    public IReadOnlyList<StackTrace> AllocationStacks { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"page_pool '{PoolName}': stalled pool shutdown, {Inflight} inflight {(int)Elapsed.TotalSeconds} sec";
}
