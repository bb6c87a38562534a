using System;
using System.Threading;
using Xunit;

namespace PoolRules.Runtime.Tests.Support;

/// <summary>
/// A NAPI instance whose poll runs what a test hands it: <see cref="Run"/> schedules the poll, waits for it and
/// rethrows what the body threw, so a test can act inside the pool's own NAPI context.
/// </summary>
internal sealed class PollHost : IDisposable
{
    private readonly ManualResetEventSlim _done = new();
    private Action? _body;
    private Exception? _error;

    public PollHost(string name = "rx0")
    {
        Napi = new Napi(new NetDevice("eth0", 4, 4), Poll) { Name = name };
        Napi.Enable();
    }

    public Napi Napi { get; }

    public void Run(Action body)
    {
        _error = null;
        _done.Reset();
        _body = body;
        Assert.True(Napi.Schedule(), "the NAPI instance is disabled");
        Assert.True(_done.Wait(TestThreads.Timeout), "the poll did not run");
        if (_error is { } error)
        {
            throw new InvalidOperationException("The poll body threw.", error);
        }
    }

    public void Dispose() => Napi.Disable();

    private int Poll(Napi napi, int budget)
    {
        try
        {
            Interlocked.Exchange(ref _body, null)?.Invoke();
        }
        catch (Exception ex)
        {
            _error = ex;
        }

        napi.CompleteDone(0);
        _done.Set();
        return 0;
    }
}
