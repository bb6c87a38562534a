using System;
using System.Collections.Generic;
using System.Threading;

namespace PoolRules.Xdp;

/// <summary>
/// The interrupt line of a set of AF_XDP sockets: a thread that waits in <c>poll(2)</c> on the sockets whose queue
/// re-armed its interrupt (<see cref="Arm"/>, after its NAPI completed) and calls that queue's handler once frames are
/// on its RX ring, as a NIC raises an IRQ. An idle driver then sleeps instead of spinning. poll(2) on an AF_XDP socket
/// is level-triggered on a non-empty RX ring, so a frame that arrives between the last poll and the arm is not lost.
/// </summary>
public sealed unsafe class XskInterrupts : IDisposable
{
    private readonly IReadOnlyList<XskSocket> _sockets;
    private readonly Action?[] _handlers;
    private readonly int[] _armed;
    private readonly Thread _thread;
    private int _eventFd;
    private volatile bool _stop;
    private Exception? _failure;

    /// <summary>Makes the line for <paramref name="sockets"/> (index = queue); <see cref="Start"/> starts it.</summary>
    public XskInterrupts(IReadOnlyList<XskSocket> sockets)
    {
        ArgumentNullException.ThrowIfNull(sockets);
        _sockets = sockets;
        _handlers = new Action?[sockets.Count];
        _armed = new int[sockets.Count];
        _eventFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_eventFd < 0)
        {
            throw XdpException.FromErrno("making the interrupt line's wakeup", "eventfd", Libc.Errno);
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "xsk-irq" };
    }

    /// <summary>Sets what an interrupt of <paramref name="queue"/> calls (its NAPI's schedule).</summary>
    public void SetHandler(int queue, Action handler) => _handlers[queue] = handler;

    /// <summary>Starts the thread.</summary>
    public void Start() => _thread.Start();

    /// <summary>Re-arms <paramref name="queue"/>'s interrupt: its handler runs once its RX ring has frames.</summary>
    public void Arm(int queue)
    {
        if (Interlocked.Exchange(ref _armed[queue], 1) == 0)
        {
            // Wake the thread so its next poll(2) watches this socket too.
            var one = 1UL;
            _ = Libc.write(_eventFd, &one, 8);
        }
    }

    /// <summary>Why the thread stopped early (a failed poll(2)), if it did: its queues then got no more interrupts.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>Stops the thread (before the sockets close) and closes the wakeup fd; never throws (see <see cref="Failure"/>).</summary>
    public void Dispose()
    {
        if (_stop)
        {
            return;
        }

        _stop = true;
        if (_thread.IsAlive)
        {
            var one = 1UL;
            _ = Libc.write(_eventFd, &one, 8);
            _thread.Join();
        }

        Libc.CloseQuietly(ref _eventFd);
    }

    private void Run()
    {
        var fds = new Libc.PollFd[_sockets.Count + 1];
        var queues = new int[_sockets.Count + 1];
        try
        {
            fixed (Libc.PollFd* pfds = fds)
            {
                while (!_stop)
                {
                    pfds[0] = new Libc.PollFd { Fd = _eventFd, Events = Libc.POLLIN };
                    var count = 1;
                    for (var q = 0; q < _sockets.Count; q++)
                    {
                        if (Volatile.Read(ref _armed[q]) != 0)
                        {
                            queues[count] = q;
                            pfds[count++] = new Libc.PollFd { Fd = _sockets[q].Fd, Events = Libc.POLLIN };
                        }
                    }

                    if (Libc.poll(pfds, (nuint)count, 1000) < 0)
                    {
                        var errno = Libc.Errno;
                        if (errno == Errno.EINTR)
                        {
                            continue;
                        }

                        throw XdpException.FromErrno("waiting for frames", "poll", errno);
                    }

                    if ((pfds[0].Revents & Libc.POLLIN) != 0)
                    {
                        ulong value;
                        _ = Libc.read(_eventFd, &value, 8);
                    }

                    for (var i = 1; i < count; i++)
                    {
                        var q = queues[i];
                        if ((pfds[i].Revents & Libc.POLLIN) != 0 && Interlocked.Exchange(ref _armed[q], 0) != 0)
                        {
                            _handlers[q]?.Invoke();
                        }
                    }
                }
            }
        }
        catch (Exception ex)
        {
            _failure = ex;
        }
    }
}
