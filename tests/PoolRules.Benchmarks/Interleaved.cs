using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace PoolRules.Benchmarks;

/// <summary>
/// A cross-check for a shared, busy machine, where other processes' bursts land on whichever BenchmarkDotNet
/// benchmark happens to run: <c>-- --interleaved fast|ring|slow|napi|bulk [rounds]</c> runs the same benchmark methods in
/// rounds, every candidate once per round, and prints the minimum and median per-operation time over the rounds.
/// The minimum is the uncontended cost; for the two-thread hand-offs it is the time with both threads on a core.
/// </summary>
internal static class Interleaved
{
    private static readonly List<(string Kind, double Nanos)> PutOnly = new();

    public static void Run(string group, int rounds)
    {
        var candidates = new List<(string Name, Action Run, int Ops, int Invocations)>();
        switch (group)
        {
            case "fast":
                var fast = new FastPathBenchmarks();
                fast.Setup();
                candidates.Add((nameof(fast.BareStack_PopPush), fast.BareStack_PopPush, 1024, 2000));
                candidates.Add((nameof(fast.PagePool_AllocPages_RecycleDirect), fast.PagePool_AllocPages_RecycleDirect, 1024, 2000));
                candidates.Add((nameof(fast.PagePool_DevAllocPages_RecycleDirect), fast.PagePool_DevAllocPages_RecycleDirect, 1024, 2000));
                candidates.Add((nameof(fast.ArrayPool_RentReturn), fast.ArrayPool_RentReturn, 1024, 2000));
                candidates.Add((nameof(fast.NativeMemory_AlignedAllocFree), fast.NativeMemory_AlignedAllocFree, 1024, 100));
                break;
            case "ring":
                var ring = new RingPathBenchmarks();
                ring.Setup();
                var rings = new PtrRingBenchmarks();
                rings.Setup();
                candidates.Add((nameof(ring.ConcurrentQueue_HandBack), ring.ConcurrentQueue_HandBack, 4096, 40));
                candidates.Add((nameof(ring.PagePool_RingHandOff), ring.PagePool_RingHandOff, 4096, 40));
                candidates.Add((nameof(ring.ArrayPool_CrossThread), ring.ArrayPool_CrossThread, 4096, 4));
                candidates.Add((nameof(rings.LockedPtrRing_HandOff), rings.LockedPtrRing_HandOff, 4096, 40));
                candidates.Add((nameof(rings.PtrRing_HandOff), rings.PtrRing_HandOff, 4096, 40));
                break;
            case "slow":
                var slow = new SlowPathBenchmarks();
                slow.Setup();
                candidates.Add((nameof(slow.NativeMemory_AlignedAllocFree), slow.NativeMemory_AlignedAllocFree, 1024, 40));
                candidates.Add((nameof(slow.PagePool_EmptyPool_AllocRelease), slow.PagePool_EmptyPool_AllocRelease, 1024, 40));
                candidates.Add((nameof(slow.PagePool_RingFull_AllocPut), slow.PagePool_RingFull_AllocPut, 1024, 40));
                break;
            case "napi":
                var napi = new NapiLocalBenchmarks();
                napi.Setup();
                candidates.Add((nameof(napi.RecycleDirect_InPoll), napi.RecycleDirect_InPoll, NapiLocalBenchmarks.Ops, 4));
                candidates.Add((nameof(napi.PutFullPage_NapiLocal_InPoll), napi.PutFullPage_NapiLocal_InPoll, NapiLocalBenchmarks.Ops, 4));
                candidates.Add((nameof(napi.PutFullPage_RingPath_InPoll), napi.PutFullPage_RingPath_InPoll, NapiLocalBenchmarks.Ops, 4));
                break;
            case "bulk":
                var bulk = new BulkPutBenchmarks();
                bulk.Setup();
                candidates.Add((nameof(bulk.PutFullPage_Loop_SameThread), bulk.PutFullPage_Loop_SameThread, 4096, 40));
                candidates.Add((nameof(bulk.PutPagesBulk_SameThread), bulk.PutPagesBulk_SameThread, 4096, 40));
                candidates.Add((nameof(bulk.PutFullPage_Loop_HandOff), bulk.PutFullPage_Loop_HandOff, 4096, 40));
                candidates.Add((nameof(bulk.PutPagesBulk_HandOff), bulk.PutPagesBulk_HandOff, 4096, 40));
                candidates.Add(("PutFullPage_Loop_PutOnly", () => PutOnly.Add(("loop", BulkPutBenchmarks.PutOnlyNanosPerPage(bulk: false, 64))), 1, 1));
                candidates.Add(("PutPagesBulk_PutOnly", () => PutOnly.Add(("bulk", BulkPutBenchmarks.PutOnlyNanosPerPage(bulk: true, 64))), 1, 1));
                break;
            default:
                throw new ArgumentException($"Unknown group '{group}': fast, ring, slow, napi or bulk.", nameof(group));
        }

        var samples = candidates.Select(_ => new List<double>()).ToList();
        for (var round = -3; round < rounds; round++)
        {
            for (var k = 0; k < candidates.Count; k++)
            {
                var (_, run, ops, invocations) = candidates[k];
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < invocations; i++)
                {
                    run();
                }

                // The first rounds warm up (tiering, the pools' circulation) and are not counted.
                if (round >= 0)
                {
                    samples[k].Add(watch.Elapsed.TotalNanoseconds / ((double)invocations * ops));
                }
            }
        }

        // The put-only candidates time themselves (the refill between batches is not theirs); their own figures replace the wall clock.
        foreach (var (name, tag) in new[] { ("PutFullPage_Loop_PutOnly", "loop"), ("PutPagesBulk_PutOnly", "bulk") })
        {
            var k = candidates.FindIndex(c => c.Name == name);
            if (k >= 0)
            {
                samples[k] = PutOnly.Where(p => p.Kind == tag).Skip(3).Select(p => p.Nanos).ToList();
            }
        }

        Console.WriteLine($"| {group} (interleaved, {rounds} rounds) | min ns/op | median ns/op |");
        Console.WriteLine("|---|---:|---:|");
        for (var k = 0; k < candidates.Count; k++)
        {
            var sorted = samples[k].Order().ToList();
            Console.WriteLine($"| {candidates[k].Name} | {sorted[0]:F2} | {sorted[sorted.Count / 2]:F2} |");
        }
    }
}
