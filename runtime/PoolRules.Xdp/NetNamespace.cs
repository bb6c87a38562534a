using System;
using System.Collections.Concurrent;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace PoolRules.Xdp;

/// <summary>
/// A private network namespace, made in-process: a dedicated thread calls <c>unshare(CLONE_NEWNET)</c> and then runs
/// the work given to <see cref="Run{T}"/>, so netlink, BPF attach and socket creation happen inside it. Threads the
/// caller owns can join it with <see cref="Enter"/>. The namespace and its interfaces vanish once the thread has
/// ended and the last socket in it is closed, so a crashed run leaves nothing behind.
/// </summary>
public sealed class NetNamespace : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;
    private int _fd = -1;
    private Exception? _startFailure;
    private bool _disposed;

    private NetNamespace()
    {
        using var started = new ManualResetEventSlim();
        _thread = new Thread(() => Loop(started)) { IsBackground = true, Name = "netns" };
        _thread.Start();
        started.Wait();
    }

    /// <summary>Makes a fresh namespace (only <c>lo</c> in it) with IPv6 off, so the kernel sends no frames of its own.</summary>
    public static NetNamespace CreatePrivate()
    {
        XdpSupport.EnsureRoot();
        var ns = new NetNamespace();
        if (ns._startFailure is { } failure)
        {
            ns.Dispose();
            ExceptionDispatchInfo.Throw(failure);
        }

        return ns;
    }

    /// <summary>A path to the namespace while it lives (for <c>nsenter --net=</c> and <c>setns</c> from another process).</summary>
    public string HandlePath => $"/proc/{Environment.ProcessId}/fd/{_fd}";

    /// <summary>Runs <paramref name="work"/> on the namespace's thread and returns its result (or rethrows its exception).</summary>
    public T Run<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(_disposed, this);
        T result = default!;
        Exception? failure = null;
        using var done = new ManualResetEventSlim();
        _work.Add(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            finally
            {
                done.Set();
            }
        });
        done.Wait();
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        return result;
    }

    /// <summary>Runs <paramref name="work"/> on the namespace's thread.</summary>
    public void Run(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Run(() =>
        {
            work();
            return 0;
        });
    }

    /// <summary>
    /// Moves the calling thread into this namespace for good (<c>setns</c>). Only for a thread the caller created and
    /// lets end: a pool thread would carry the namespace into unrelated work.
    /// </summary>
    public void Enter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Libc.setns(_fd, Libc.CLONE_NEWNET) < 0)
        {
            throw XdpException.FromErrno("joining the private network namespace", "setns(CLONE_NEWNET)", Libc.Errno);
        }
    }

    /// <summary>Ends the namespace's thread and drops its handle; the namespace goes once its sockets are closed.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _work.CompleteAdding();
        _thread.Join();
        Libc.CloseQuietly(ref _fd);
        _work.Dispose();
    }

    private void Loop(ManualResetEventSlim started)
    {
        try
        {
            if (Libc.unshare(Libc.CLONE_NEWNET) < 0)
            {
                throw XdpException.FromErrno("making a private network namespace", "unshare(CLONE_NEWNET)", Libc.Errno);
            }

            _fd = Libc.open("/proc/thread-self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (_fd < 0)
            {
                throw XdpException.FromErrno("opening the namespace handle", "open(/proc/thread-self/ns/net)", Libc.Errno);
            }

            // IPv6 would send router and neighbour solicitations that reach the sockets and spoil frame counts.
            foreach (var conf in new[] { "all", "default" })
            {
                var path = $"/proc/sys/net/ipv6/conf/{conf}/disable_ipv6";
                if (File.Exists(path))
                {
                    File.WriteAllText(path, "1");
                }
            }
        }
        catch (Exception ex)
        {
            _startFailure = ex;
            started.Set();
            return;
        }

        started.Set();
        foreach (var work in _work.GetConsumingEnumerable())
        {
            work();
        }
    }
}
