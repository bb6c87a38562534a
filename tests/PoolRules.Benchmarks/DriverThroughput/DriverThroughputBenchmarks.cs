using System;
using BenchmarkDotNet.Attributes;
using PoolRules.Samples.RxDriver;

namespace PoolRules.Benchmarks.DriverThroughput;

/// <summary>
/// The sample driver's RX path against the same path on ArrayPool buffers, in one run, through one simulated IOMMU.
/// One operation is one received frame, so Mean is ns per frame and frames/s = 1e9 / Mean (Mpps = 1000 / Mean in ns).
/// Target: the page pool driver receives at least 1.5x the frames per second of the ArrayPool driver (Ratio at most
/// 0.67). Run: <c>dotnet run -c Release --project tests/PoolRules.Benchmarks -- --filter '*DriverThroughput*'</c>.
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class DriverThroughputBenchmarks
{
    /// <summary>Frames per invocation: 128 NAPI polls, many times the ring, so every buffer cycles through the path.</summary>
    public const int Frames = 128 * RxModel.Budget;

    private SimulatedIommu _iommu = null!;
    private ArrayPoolDriver _arrayPool = null!;
    private PagePoolDriver _pagePool = null!;

    [GlobalSetup]
    public void Setup()
    {
        _iommu = new SimulatedIommu();
        _arrayPool = new ArrayPoolDriver(_iommu);
        _pagePool = new PagePoolDriver(_iommu);

        // Warm both paths: the pool's slow path fills its cache and ring once; ArrayPool fills its thread-local cache.
        _arrayPool.Run(Frames);
        _pagePool.Run(Frames);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _arrayPool.Dispose();
        _pagePool.Dispose();
        if (!_pagePool.Pool.Freed.Wait(TimeSpan.FromSeconds(10)) || _iommu.LiveMappings != 0)
        {
            throw new InvalidOperationException($"Unload left pages inflight ({_pagePool.Pool.Inflight}) or IOMMU mappings ({_iommu.LiveMappings}).");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Frames)]
    public long ArrayPool_PinMapPerFrame()
    {
        _arrayPool.Run(Frames);
        return _arrayPool.Checksum;
    }

    [Benchmark(OperationsPerInvoke = Frames)]
    public long PagePool_MappedOnce()
    {
        _pagePool.Run(Frames);
        return _pagePool.Checksum;
    }
}
