using System.Threading;
using System.Threading.Channels;
using PoolRules.Runtime;

namespace PoolRules.Samples.RxDriver;

/// <summary>
/// The network stack's receive path on its own thread: consumes the frames the XDP program passed. A page that is
/// still the pool's goes back to it from here, through the pool's ptr-ring (the cross-thread return the ring exists
/// for); a page the driver released from its pool is the stack's, and the stack drops its reference.
/// </summary>
internal sealed class NetworkStack
{
    private readonly Channel<Page> _backlog;
    private readonly Thread _thread;
    private long _delivered;
    private long _dropped;
    private long _checksum;

    public NetworkStack(int backlog)
    {
        _backlog = Channel.CreateBounded<Page>(new BoundedChannelOptions(backlog) { SingleReader = true });
        _thread = new Thread(Run) { IsBackground = true, Name = "net-stack" };
    }

    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Frames dropped because the backlog was full.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    public void Start() => _thread.Start();

    /// <summary>netif_receive_skb: the stack takes the page; when its backlog is full it drops the frame at once.</summary>
    public void Receive([TakesPageOwnership] Page page)
    {
        if (!_backlog.Writer.TryWrite(page))
        {
            Interlocked.Increment(ref _dropped);
            Free(page);
        }
    }

    /// <summary>Processes what is queued, then stops.</summary>
    public void Stop()
    {
        _backlog.Writer.Complete();
        _thread.Join();
    }

    private void Run()
    {
        var reader = _backlog.Reader;
        var spinner = new SpinWait();
        while (true)
        {
            if (reader.TryRead(out var page))
            {
                spinner.Reset();
                _checksum += page.Span[0];
                Free(page);
                Volatile.Write(ref _delivered, _delivered + 1);
            }
            else if (reader.Completion.IsCompleted)
            {
                return;
            }
            else
            {
                spinner.SpinOnce();
            }
        }
    }

    private static void Free(Page page)
    {
        if (page.Pool is { } pool)
        {
            pool.PutFullPage(page, allowDirect: true); // PP0003: direct recycle from the stack thread, outside the pool's NAPI
        }
        else
        {
            page.Put();
        }
    }
}
