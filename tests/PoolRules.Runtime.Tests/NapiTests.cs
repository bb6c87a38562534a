using System;
using System.Collections.Concurrent;
using System.Threading;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// NAPI: a poll thread per instance; <c>Schedule</c> runs the poll with the weight as budget, again while the
/// budget is used up, until <c>CompleteDone</c>; the poll context is visible only inside the poll.
/// </summary>
public sealed class NapiTests
{
    private static readonly TimeSpan Timeout = TestThreads.Timeout;
    private readonly NetDevice _dev = new("eth0", 4, 4);

    [Fact]
    public void Schedule_runs_the_poll_on_the_poll_thread_with_the_weight_as_budget()
    {
        var polled = new ManualResetEventSlim();
        int budget = -1, pollThread = -1;
        Napi? seen = null;
        var napi = new Napi(_dev, (n, b) =>
        {
            budget = b;
            seen = n;
            pollThread = Environment.CurrentManagedThreadId;
            n.CompleteDone(0);
            polled.Set();
            return 0;
        }, weight: 16);
        napi.Enable();

        Assert.True(napi.Schedule());
        Assert.True(polled.Wait(Timeout));
        napi.Disable();

        Assert.Equal(16, budget);
        Assert.Same(napi, seen);
        Assert.NotEqual(Environment.CurrentManagedThreadId, pollThread);
        Assert.Equal(1, napi.PollCount);
    }

    [Fact]
    public void InPollContext_is_true_only_inside_a_poll()
    {
        var polled = new ManualResetEventSlim();
        bool inside = false;
        Napi? current = null;
        var napi = new Napi(_dev, (n, _) =>
        {
            inside = Napi.InPollContext;
            current = Napi.Current;
            n.CompleteDone(0);
            polled.Set();
            return 0;
        });

        Assert.False(Napi.InPollContext);
        napi.Enable();
        napi.Schedule();
        Assert.True(polled.Wait(Timeout));
        napi.Disable();

        Assert.True(inside);
        Assert.Same(napi, current);
        Assert.False(Napi.InPollContext);
        Assert.Null(Napi.Current);
    }

    [Fact]
    public void Each_instance_polls_on_its_own_thread_and_sees_only_itself_as_current()
    {
        var done = new CountdownEvent(2);
        var seen = new ConcurrentDictionary<string, (Napi? Current, int Thread)>();
        NapiPoll poll = (n, _) =>
        {
            seen[n.Name] = (Napi.Current, Environment.CurrentManagedThreadId);
            n.CompleteDone(0);
            done.Signal();
            return 0;
        };
        var first = new Napi(_dev, poll) { Name = "rx0" };
        var second = new Napi(_dev, poll) { Name = "rx1" };
        first.Enable();
        second.Enable();

        first.Schedule();
        second.Schedule();
        Assert.True(done.Wait(Timeout));
        first.Disable();
        second.Disable();

        Assert.Same(first, seen["rx0"].Current);
        Assert.Same(second, seen["rx1"].Current);
        Assert.NotEqual(seen["rx0"].Thread, seen["rx1"].Thread);
    }

    [Fact]
    public void A_poll_that_uses_its_whole_budget_is_polled_again_until_it_completes()
    {
        var completed = new ManualResetEventSlim();
        var polls = 0;
        var napi = new Napi(_dev, (n, budget) =>
        {
            if (++polls < 4)
            {
                return budget; // more work pending: no CompleteDone, the loop repolls
            }

            Assert.True(n.CompleteDone(3));
            completed.Set();
            return 3;
        }, weight: 8);
        napi.Enable();

        napi.Schedule();
        Assert.True(completed.Wait(Timeout));
        napi.Disable();

        Assert.Equal(4, polls);
        Assert.Equal(4, napi.PollCount);
    }

    [Fact]
    public void CompleteDone_returns_false_after_a_schedule_missed_during_the_poll_and_the_poll_runs_again()
    {
        var inPoll = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var secondPoll = new ManualResetEventSlim();
        var results = new ConcurrentQueue<bool>();
        var polls = 0;
        var napi = new Napi(_dev, (n, _) =>
        {
            if (Interlocked.Increment(ref polls) == 1)
            {
                inPoll.Set();
                Assert.True(release.Wait(Timeout));
                results.Enqueue(n.CompleteDone(1));
                return 1;
            }

            results.Enqueue(n.CompleteDone(1));
            secondPoll.Set();
            return 1;
        });
        napi.Enable();

        napi.Schedule();
        Assert.True(inPoll.Wait(Timeout));
        Assert.True(napi.Schedule()); // the "interrupt" fires while the poll runs
        release.Set();
        Assert.True(secondPoll.Wait(Timeout));
        napi.Disable();

        Assert.Equal(new[] { false, true }, results.ToArray());
        Assert.Equal(2, polls);
    }

    [Fact]
    public void A_schedule_after_CompleteDone_but_before_the_poll_returns_is_not_lost()
    {
        var completed = new ManualResetEventSlim();
        var scheduled = new ManualResetEventSlim();
        var secondPoll = new ManualResetEventSlim();
        var polls = 0;
        var napi = new Napi(_dev, (n, _) =>
        {
            if (Interlocked.Increment(ref polls) == 1)
            {
                Assert.True(n.CompleteDone(1));
                completed.Set();
                Assert.True(scheduled.Wait(Timeout)); // the interrupt re-armed by CompleteDone fires before we return
                return 1;
            }

            n.CompleteDone(1);
            secondPoll.Set();
            return 1;
        });
        napi.Enable();

        napi.Schedule();
        Assert.True(completed.Wait(Timeout));
        Assert.True(napi.Schedule());
        scheduled.Set();

        Assert.True(secondPoll.Wait(Timeout));
        napi.Disable();
        Assert.Equal(2, polls);
    }

    [Fact]
    public void A_poll_that_returns_less_than_its_budget_without_CompleteDone_is_completed_for_it()
    {
        var polled = new ManualResetEventSlim();
        var polls = 0;
        var napi = new Napi(_dev, (_, _) =>
        {
            Interlocked.Increment(ref polls);
            polled.Set();
            return 0;
        });
        napi.Enable();

        napi.Schedule();
        Assert.True(polled.Wait(Timeout));
        polled.Reset();
        // Completed on its behalf, so the next Schedule wakes the poll thread again.
        Assert.True(napi.Schedule());
        Assert.True(polled.Wait(Timeout));
        napi.Disable();
        Assert.Equal(2, Volatile.Read(ref polls));
    }

    [Fact]
    public void CompleteDone_outside_the_instances_own_poll_throws()
    {
        var napi = new Napi(_dev, (_, _) => 0);
        Assert.Throws<InvalidOperationException>(() => napi.CompleteDone(0));
    }

    [Fact]
    public void Schedule_on_a_disabled_instance_returns_false_and_polls_nothing()
    {
        var polls = 0;
        var napi = new Napi(_dev, (_, _) => Interlocked.Increment(ref polls));

        Assert.False(napi.IsEnabled);
        Assert.False(napi.Schedule());

        napi.Enable();
        napi.Disable();
        Assert.False(napi.Schedule());
        Assert.Equal(0, Volatile.Read(ref polls));
    }

    [Fact]
    public void Disable_waits_for_the_running_poll_and_stops_polling()
    {
        var inPoll = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var polls = 0;
        var napi = new Napi(_dev, (n, _) =>
        {
            Interlocked.Increment(ref polls);
            inPoll.Set();
            Assert.True(release.Wait(Timeout));
            return 1;
        });
        napi.Enable();
        napi.Schedule();
        Assert.True(inPoll.Wait(Timeout));

        var disabled = new ManualResetEventSlim();
        var disabler = TestThreads.Start(1, _ =>
        {
            napi.Disable();
            disabled.Set();
        });

        // While the poll runs Disable must not return; this cannot pass by luck if Disable does not wait.
        Assert.False(disabled.Wait(TimeSpan.FromMilliseconds(100)));
        release.Set();
        disabler.Join();

        Assert.True(disabled.IsSet);
        Assert.False(napi.IsEnabled);
        Assert.False(napi.Schedule());
        Assert.Equal(1, Volatile.Read(ref polls));
    }

    [Fact]
    public void Disable_returns_on_a_queue_whose_every_poll_uses_its_whole_budget()
    {
        // A NIC under sustained traffic: the poll never runs dry, so it never completes by itself.
        var polling = new ManualResetEventSlim();
        var polls = 0L;
        var napi = new Napi(_dev, (_, budget) =>
        {
            Interlocked.Increment(ref polls);
            polling.Set();
            return budget;
        }, weight: 8);
        napi.Enable();
        Assert.True(napi.Schedule());
        Assert.True(polling.Wait(Timeout));

        var disabler = TestThreads.Start(1, _ => napi.Disable());
        disabler.Join(); // fails the test after the timeout instead of hanging the run

        // At most the poll in progress finished after Disable: nothing more runs.
        var after = Interlocked.Read(ref polls);
        Thread.Sleep(50);
        Assert.Equal(after, Interlocked.Read(ref polls));
        Assert.Equal(after, napi.PollCount);
        Assert.False(napi.IsEnabled);
        Assert.False(napi.Schedule());

        // The instance can be enabled again and polls as before.
        polling.Reset();
        napi.Enable();
        Assert.True(napi.Schedule());
        Assert.True(polling.Wait(Timeout));
        TestThreads.Start(1, _ => napi.Disable()).Join();
    }

    [Fact]
    public void A_poll_scheduled_before_Disable_still_runs_before_Disable_returns()
    {
        var inFirstPoll = new ManualResetEventSlim();
        var releaseFirstPoll = new ManualResetEventSlim();
        var polls = 0;
        var napi = new Napi(_dev, (n, _) =>
        {
            if (Interlocked.Increment(ref polls) == 1)
            {
                inFirstPoll.Set();
                releaseFirstPoll.Wait(Timeout);
            }

            n.CompleteDone(0);
            return 0;
        });
        napi.Enable();
        Assert.True(napi.Schedule());
        Assert.True(inFirstPoll.Wait(Timeout));
        Assert.True(napi.Schedule()); // missed: the poll must run once more

        var disabling = new Thread(napi.Disable);
        disabling.Start();
        releaseFirstPoll.Set();
        Assert.True(disabling.Join(Timeout));

        Assert.Equal(2, Volatile.Read(ref polls));
        Assert.False(napi.Schedule());
    }

    [Fact]
    public void Enable_and_Disable_twice_are_harmless()
    {
        var polled = new ManualResetEventSlim();
        var polls = 0;
        var napi = new Napi(_dev, (n, _) =>
        {
            Interlocked.Increment(ref polls);
            n.CompleteDone(0);
            polled.Set();
            return 0;
        });
        napi.Enable();
        napi.Enable(); // no second poll thread

        napi.Schedule();
        Assert.True(polled.Wait(Timeout));
        napi.Disable();
        napi.Disable();

        Assert.Equal(1, Volatile.Read(ref polls));
        Assert.False(napi.IsEnabled);
    }

    [Fact]
    public void An_instance_can_be_enabled_again_after_disable()
    {
        var polled = new ManualResetEventSlim();
        var napi = new Napi(_dev, (n, _) =>
        {
            n.CompleteDone(0);
            polled.Set();
            return 0;
        });
        napi.Enable();
        napi.Disable();

        napi.Enable();
        Assert.True(napi.IsEnabled);
        Assert.True(napi.Schedule());
        Assert.True(polled.Wait(Timeout));
        napi.Disable();
    }

    [Fact]
    public void A_poll_that_throws_stops_the_instance_and_surfaces_on_Disable()
    {
        var boom = new InvalidCastException("driver bug");
        var entered = new ManualResetEventSlim();
        var napi = new Napi(_dev, (_, _) =>
        {
            entered.Set();
            throw boom;
        });
        napi.Enable();

        napi.Schedule();
        Assert.True(entered.Wait(Timeout));
        var ex = Assert.Throws<InvalidOperationException>(napi.Disable);

        Assert.Same(boom, ex.InnerException);
        Assert.Contains(napi.Name, ex.Message);
        Assert.False(napi.IsEnabled);
        napi.Disable(); // reported once
    }

    [Fact]
    public void A_napi_instance_is_named_after_its_device_and_validates_its_arguments()
    {
        var napi = new Napi(_dev, (_, _) => 0, weight: 32);

        Assert.Equal("eth0-napi", napi.Name);
        Assert.Same(_dev, napi.Device);
        Assert.Equal(32, napi.Weight);
        Assert.Equal(64, new Napi(_dev, (_, _) => 0).Weight);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Napi(_dev, (_, _) => 0, weight: 0));
        Assert.Throws<ArgumentNullException>(() => new Napi(_dev, null!));
        Assert.Throws<ArgumentNullException>(() => new Napi(null!, (_, _) => 0));
    }

    [Fact]
    public void A_net_device_reports_its_queue_counts_and_refuses_none()
    {
        Assert.Equal(4, _dev.RxQueueCount);
        Assert.Equal(4, _dev.TxQueueCount);
        Assert.Equal("eth0", _dev.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetDevice("eth1", 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetDevice("eth1", 1, 0));
        Assert.ThrowsAny<ArgumentException>(() => new NetDevice("", 1, 1));
    }
}
