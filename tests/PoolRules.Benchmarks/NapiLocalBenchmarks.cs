using System;
using System.Threading;
using BenchmarkDotNet.Attributes;
using PoolRules.Runtime;

namespace PoolRules.Benchmarks;

/// <summary>
/// NAPI-local recycling (kernel 6.10), inside a real NAPI poll: one page out of the fast cache and back with
/// <c>PutFullPage(page, allowDirect: false)</c> on the pool's own poll (the core sends it to the fast cache), against
/// <c>RecycleDirect</c> (the baseline) and against the same put on a pool owned by another NAPI instance, which takes
/// the ring path and refills from it (what every such put cost before). Each invocation schedules the poll once and
/// runs <see cref="Ops"/> round trips in it. Target: the NAPI-local put within 1.2x of RecycleDirect.
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class NapiLocalBenchmarks
{
    public const int Ops = 1 << 18;

    private readonly ManualResetEventSlim _done = new();
    private Napi _napi = null!;
    private PagePool _local = null!;
    private PagePool _ring = null!;
    private Action? _body;
    private Action _recycleDirect = null!;
    private Action _napiLocalPut = null!;
    private Action _ringPut = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dev = new NetDevice("bench0", 2, 2);
        _napi = new Napi(dev, Poll) { Name = "bench0-rx0" };
        var other = new Napi(dev, (_, _) => 0) { Name = "bench0-rx1" };
        _local = PagePool.Create(new PagePoolParams { Name = "bench-napi-local", Napi = _napi });
        _ring = PagePool.Create(new PagePoolParams { Name = "bench-napi-ring", Napi = other });
        _recycleDirect = () => RecycleDirectLoop(_local);
        _napiLocalPut = () => PutFullPageLoop(_local);
        _ringPut = () => PutFullPageLoop(_ring);
        _napi.Enable();

        // Warm-up: fill both fast caches (one bulk allocation each).
        RunInPoll(() =>
        {
            _local.RecycleDirect(_local.DevAllocPages()!);
            _ring.RecycleDirect(_ring.DevAllocPages()!);
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _napi.Disable();
        _local.Destroy();
        _ring.Destroy();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public void RecycleDirect_InPoll() => RunInPoll(_recycleDirect);

    [Benchmark(OperationsPerInvoke = Ops)]
    public void PutFullPage_NapiLocal_InPoll() => RunInPoll(_napiLocalPut);

    [Benchmark(OperationsPerInvoke = Ops)]
    public void PutFullPage_RingPath_InPoll() => RunInPoll(_ringPut);

    private static void RecycleDirectLoop(PagePool pool)
    {
        for (var i = 0; i < Ops; i++)
        {
            pool.RecycleDirect(pool.DevAllocPages()!);
        }
    }

    private static void PutFullPageLoop(PagePool pool)
    {
        for (var i = 0; i < Ops; i++)
        {
            pool.PutFullPage(pool.DevAllocPages()!, allowDirect: false);
        }
    }

    private void RunInPoll(Action body)
    {
        _done.Reset();
        _body = body;
        _napi.Schedule();
        _done.Wait();
    }

    private int Poll(Napi napi, int budget)
    {
        Interlocked.Exchange(ref _body, null)?.Invoke();
        napi.CompleteDone(0);
        _done.Set();
        return 0;
    }
}
