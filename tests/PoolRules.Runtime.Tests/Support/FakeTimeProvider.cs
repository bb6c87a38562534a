using System;
using System.Collections.Generic;
using System.Threading;

namespace PoolRules.Runtime.Tests.Support;

/// <summary>
/// A clock that only moves when a test calls <see cref="Advance"/>; timers fire on the advancing thread, in due
/// order, so a test drives the stalled-shutdown retry and warning without waiting on the wall clock.
/// </summary>
internal sealed class FakeTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<FakeTimer> _timers = new();
    private long _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

    /// <summary>Timers created and not disposed.</summary>
    public int ActiveTimers
    {
        get
        {
            lock (_gate)
            {
                return _timers.FindAll(t => !t.Disposed).Count;
            }
        }
    }

    /// <summary>Timers ever created.</summary>
    public int CreatedTimers { get; private set; }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FakeTimer(this, callback, state);
        lock (_gate)
        {
            _timers.Add(timer);
            CreatedTimers++;
            timer.Arm(_now, dueTime, period);
        }

        return timer;
    }

    /// <summary>Moves the clock forward, firing every timer that falls due on the way at its due time.</summary>
    public void Advance(TimeSpan delta)
    {
        long target;
        lock (_gate)
        {
            target = _now + delta.Ticks;
        }

        while (true)
        {
            FakeTimer? next = null;
            lock (_gate)
            {
                foreach (var timer in _timers)
                {
                    if (!timer.Disposed && timer.Due is { } due && due <= target && (next is null || due < next.Due))
                    {
                        next = timer;
                    }
                }

                if (next is null)
                {
                    _now = target;
                    return;
                }

                _now = next.Due!.Value;
                next.Due = next.Period is { } period ? _now + period : null;
            }

            next.Fire();
        }
    }

    private sealed class FakeTimer(FakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long? Due { get; set; }

        public long? Period { get; private set; }

        public bool Disposed { get; private set; }

        public void Arm(long now, TimeSpan dueTime, TimeSpan period)
        {
            Due = dueTime == Timeout.InfiniteTimeSpan ? null : now + dueTime.Ticks;
            Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period.Ticks;
        }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                if (Disposed)
                {
                    return false;
                }

                Arm(owner._now, dueTime, period);
                return true;
            }
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                Disposed = true;
                Due = null;
            }
        }

        public System.Threading.Tasks.ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
