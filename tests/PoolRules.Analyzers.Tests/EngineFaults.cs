using System;
using System.Collections.Concurrent;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Analyzers.Tests;

/// <summary>Collects every exception the engine swallowed, so a test can fail on one instead of seeing silence.</summary>
internal static class EngineFaults
{
    private static readonly ConcurrentQueue<Exception> Faults = new();

    static EngineFaults() => PageFlowCache.EngineFault = Faults.Enqueue;

    public static Exception[] Drain()
    {
        var list = new System.Collections.Generic.List<Exception>();
        while (Faults.TryDequeue(out var fault))
        {
            list.Add(fault);
        }

        return list.ToArray();
    }

    public static void Install()
    {
        // Touching the type runs the static constructor.
    }

    /// <summary>Every test of this assembly runs the engine behind each body the clean-body proof accepts (see PageFlowCache.CrossCheck).</summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void CrossCheckProofs() => PageFlowCache.CrossCheck = true;
}
