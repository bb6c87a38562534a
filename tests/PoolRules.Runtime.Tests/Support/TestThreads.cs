using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Xunit;

namespace PoolRules.Runtime.Tests.Support;

/// <summary>Dedicated threads for concurrency tests; their exceptions are collected and rethrown on join.</summary>
internal sealed class TestThreads
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Thread[] _threads;
    private readonly ConcurrentQueue<Exception> _errors = new();

    private TestThreads(int count, Action<int> body)
    {
        _threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            try
            {
                body(i);
            }
            catch (Exception ex)
            {
                _errors.Enqueue(ex);
            }
        })
        { IsBackground = true, Name = $"test-{i}" }).ToArray();
    }

    public static TestThreads Start(int count, Action<int> body)
    {
        var threads = new TestThreads(count, body);
        foreach (var thread in threads._threads)
        {
            thread.Start();
        }

        return threads;
    }

    /// <summary>Joins every thread (generous timeout) and rethrows the first failure.</summary>
    public void Join()
    {
        var watch = Stopwatch.StartNew();
        foreach (var thread in _threads)
        {
            var left = Timeout - watch.Elapsed;
            Assert.True(thread.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero), $"thread {thread.Name} did not finish within {Timeout}");
        }

        if (!_errors.IsEmpty)
        {
            throw new AggregateException(_errors);
        }
    }
}
