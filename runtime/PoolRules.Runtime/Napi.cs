using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace PoolRules.Runtime;

/// <summary>The poll function of a <see cref="Napi"/>: process at most <paramref name="budget"/> frames, return how many.</summary>
public delegate int NapiPoll(Napi napi, int budget);

/// <summary>
/// The kernel's <c>struct napi_struct</c>: a poll function run on a dedicated thread, as a softirq would run it.
/// <see cref="Schedule"/> (from the "interrupt", e.g. a device thread) makes the poll run with <see cref="Weight"/> as
/// budget, again and again while it uses its whole budget, until it calls <see cref="CompleteDone"/> with less.
/// Only one poll of a NAPI instance runs at a time, so a page pool owned by it needs no locks.
/// </summary>
public sealed class Napi
{
    private const int StateScheduled = 1;
    private const int StateMissed = 2;
    private const int StateDisabled = 4;

    [ThreadStatic]
    private static Napi? t_current;

    private readonly NapiPoll _poll;
    private readonly object _gate = new();
    private int _state = StateDisabled;
    private Thread? _thread;
    private SemaphoreSlim? _wake;
    private Exception? _fault;

    // The poll thread's stack, set explicitly to the 1.5 MiB .NET gives secondary threads, so that the window below
    // lies inside it whatever the runtime's own frames above PollLoop take.
    private const int PollStackSize = 1536 * 1024;
    private const int PollStackWindow = PollStackSize / 2;

    // Address of a local in PollLoop's frame while one of its polls runs and no Disable is pending, 0 otherwise: the
    // whole of IsCurrentPoll's test in one load, without a thread-static read (on Linux a helper call per put). The poll
    // thread sets it around each poll; Disable clears it before and after it marks the state, so that whichever of
    // the two writes last, a pending Disable leaves it 0 (see PollUntilDisabled).
    private nuint _localTop;

    // Set by CompleteDone during the current poll (poll thread only): the loop must then not complete on the poll's
    // behalf, or it would clear the re-schedule of a missed CompleteDone, or a Schedule that came in after it.
    private bool _completeCalled;

    /// <summary>Creates a disabled NAPI instance for <paramref name="dev"/>; call <see cref="Enable"/>.</summary>
    public Napi(NetDevice dev, NapiPoll poll, int weight = 64)
    {
        ArgumentNullException.ThrowIfNull(dev);
        ArgumentNullException.ThrowIfNull(poll);
        ArgumentOutOfRangeException.ThrowIfLessThan(weight, 1);
        Device = dev;
        _poll = poll;
        Weight = weight;
        Name = $"{dev.Name}-napi";
    }

    /// <summary>The device whose queue this instance polls.</summary>
    public NetDevice Device { get; }

    /// <summary>Budget of each poll.</summary>
    public int Weight { get; }

    /// <summary>A name for diagnostics and the poll thread.</summary>
    public string Name { get; init; }

    /// <summary>True on the thread while one of its polls runs: the NAPI-safe context.</summary>
    public static bool InPollContext => t_current is not null;

    /// <summary>The instance whose poll runs on this thread, if any.</summary>
    public static Napi? Current => t_current;

    /// <summary>
    /// <see cref="Current"/> == this and no <see cref="Disable"/> pending, as cheap as the kernel's CPU-id compare in
    /// <c>page_pool_napi_local</c>: a poll's frames lie within the window below PollLoop's frame on the poll thread's
    /// own stack, and no other live thread's stack overlaps it (with no poll running, 0 minus any address is outside).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe bool IsCurrentPoll()
    {
        byte marker;
        return _localTop - (nuint)(&marker) < PollStackWindow;
    }

    /// <summary>True between <see cref="Enable"/> and <see cref="Disable"/>.</summary>
    public bool IsEnabled => (Volatile.Read(ref _state) & StateDisabled) == 0;

    /// <summary>Polls completed so far.</summary>
    public long PollCount { get; private set; }

    /// <summary><c>napi_enable</c>: starts the poll thread; polls run once scheduled.</summary>
    public void Enable()
    {
        lock (_gate)
        {
            if (IsEnabled)
            {
                return;
            }

            _fault = null;
            _wake = new SemaphoreSlim(0);
            _thread = new Thread(PollLoop, PollStackSize) { IsBackground = true, Name = Name };
            Volatile.Write(ref _state, 0);
            _thread.Start();
        }
    }

    /// <summary>
    /// <c>napi_schedule</c>: runs the poll soon on the poll thread (or once more, if it is running now).
    /// Returns false when the instance is disabled.
    /// </summary>
    public bool Schedule()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if ((state & StateDisabled) != 0)
            {
                return false;
            }

            var next = (state & StateScheduled) != 0 ? state | StateMissed : state | StateScheduled;
            if (Interlocked.CompareExchange(ref _state, next, state) == state)
            {
                if ((state & StateScheduled) == 0)
                {
                    _wake!.Release();
                }

                return true;
            }
        }
    }

    /// <summary>
    /// <c>napi_complete_done</c>: called by the poll when it did less than its budget. Returns false when a
    /// <see cref="Schedule"/> came in during the poll: then the poll runs again and the caller must not re-arm interrupts.
    /// </summary>
    public bool CompleteDone(int workDone)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workDone);
        if (t_current != this)
        {
            throw new InvalidOperationException($"CompleteDone of '{Name}' outside its own poll.");
        }

        _completeCalled = true;

        while (true)
        {
            var state = Volatile.Read(ref _state);
            var next = (state & StateMissed) != 0 ? state & ~StateMissed : state & ~StateScheduled;
            if (Interlocked.CompareExchange(ref _state, next, state) == state)
            {
                return (state & StateMissed) == 0;
            }
        }
    }

    /// <summary>
    /// <c>napi_disable</c>: waits for a running poll to finish and stops the poll thread. Rethrows, wrapped, an
    /// exception a poll threw.
    /// </summary>
    public void Disable()
    {
        Thread? thread;
        lock (_gate)
        {
            if (!IsEnabled)
            {
                ThrowIfFaulted();
                return;
            }

            Volatile.Write(ref _localTop, 0);
            Interlocked.Or(ref _state, StateDisabled);
            Volatile.Write(ref _localTop, 0);
            thread = _thread;
            _thread = null;
            _wake!.Release();
        }

        if (thread is not null && thread != Thread.CurrentThread)
        {
            thread.Join();
        }

        ThrowIfFaulted();
    }

    private void ThrowIfFaulted()
    {
        if (_fault is { } fault)
        {
            _fault = null;
            throw new InvalidOperationException($"The poll of NAPI '{Name}' threw; the instance stopped polling.", fault);
        }
    }

    private unsafe void PollLoop()
    {
        byte top;
        PollUntilDisabled((nuint)(&top));
    }

    private void PollUntilDisabled(nuint stackTop)
    {
        var wake = _wake!;
        t_current = null;
        while (true)
        {
            wake.Wait();
            while (true)
            {
                // A poll scheduled before Disable still runs, as napi_disable waits for it; Schedule refuses new ones.
                var state = Volatile.Read(ref _state);
                if ((state & StateScheduled) == 0)
                {
                    if ((state & StateDisabled) != 0)
                    {
                        return;
                    }

                    break;
                }

                int work;
                _completeCalled = false;
                t_current = this;

                // Published, then the state read again: either this read sees a Disable that came in, or that Disable's
                // second clear comes after the publication. Either way puts during a poll with a Disable pending take the ring.
                _localTop = stackTop;
                Interlocked.MemoryBarrier();
                if ((Volatile.Read(ref _state) & StateDisabled) != 0)
                {
                    _localTop = 0;
                }

                try
                {
                    work = _poll(this, Weight);
                }
                catch (Exception ex)
                {
                    // A poll that throws would take the whole process down from this thread; park the instance instead
                    // and let Disable report it.
                    _fault = ex;
                    Interlocked.Or(ref _state, StateDisabled);
                    return;
                }
                finally
                {
                    _localTop = 0;
                    t_current = null;
                }

                PollCount++;

                // napi_poll: a poll that used its whole budget would be polled again at once, so on a queue that never
                // runs dry Disable would wait forever. With a disable pending the instance is completed instead and
                // nothing more runs.
                if (work >= Weight && (Volatile.Read(ref _state) & StateDisabled) != 0)
                {
                    Interlocked.And(ref _state, ~(StateScheduled | StateMissed));
                    return;
                }

                // A poll that did less than its budget without completing is completed here, as net_rx_action would warn and do.
                // One that called CompleteDone itself is left alone: Scheduled set now means "poll again" (a missed
                // schedule, or a Schedule after its CompleteDone), as the kernel's napi_complete_done re-schedules.
                if (work < Weight && !_completeCalled && (Volatile.Read(ref _state) & StateScheduled) != 0)
                {
                    t_current = this;
                    CompleteDone(work);
                    t_current = null;
                }
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
