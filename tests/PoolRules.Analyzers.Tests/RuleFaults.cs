using System;
using System.Collections.Concurrent;
using PoolRules.Analyzers.Napi;
using Xunit;

namespace PoolRules.Analyzers.Tests;

/// <summary>
/// Fails a PP0003/PP0004/PP0006/PP0007 test when the NAPI-context computation, PP0004 or PP0006 swallowed an exception: they answer
/// "unknown" then, which would otherwise pass every test that expects no diagnostic.
/// </summary>
public abstract class RuleFaults : IDisposable
{
    private static readonly ConcurrentQueue<Exception> Faults = new();

    static RuleFaults()
    {
        NapiContexts.Fault = Faults.Enqueue;
        PP0004PoolQueueCountAnalyzer.Fault = Faults.Enqueue;
        PP0006InvalidPoolParamsAnalyzer.Fault = Faults.Enqueue;
    }

    public void Dispose()
    {
        var faults = new System.Collections.Generic.List<Exception>();
        while (Faults.TryDequeue(out var fault))
        {
            faults.Add(fault);
        }

        Assert.Empty(faults);
    }
}
