using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace PoolRules.Runtime.Tests.Support;

/// <summary>One call to <see cref="IDmaDevice.SyncForDevice"/>.</summary>
internal readonly record struct SyncCall(ulong Address, int Offset, int Length, DmaDirection Direction);

/// <summary>
/// A <see cref="CheckingDmaDevice"/> that also records syncs for the device and can refuse every k-th mapping
/// (<see cref="FailMapEvery"/>) to inject faults.
/// </summary>
internal sealed class RecordingDmaDevice : IDmaDevice
{
    private readonly ConcurrentQueue<SyncCall> _syncs = new();
    private long _mapCalls;

    public CheckingDmaDevice Checker { get; } = new();

    /// <summary>0: never fail; k: every k-th call to <see cref="Map"/> throws.</summary>
    public int FailMapEvery { get; set; }

    public long MapFailures { get; private set; }

    /// <summary>While true, every sync for the device throws.</summary>
    public bool FailSync { get; set; }

    public IReadOnlyList<SyncCall> Syncs => _syncs.ToArray();

    public IReadOnlyList<DmaMapping> LiveMappings => Checker.LiveMappings;

    public void ClearSyncs() => _syncs.Clear();

    public ulong Map(Page page, int offset, int length, DmaDirection dir)
    {
        var call = Interlocked.Increment(ref _mapCalls);
        if (FailMapEvery > 0 && call % FailMapEvery == 0)
        {
            MapFailures++;
            throw new DmaMapException($"injected mapping failure on call {call}");
        }

        return Checker.Map(page, offset, length, dir);
    }

    public void Unmap(ulong addr, int length, DmaDirection dir) => Checker.Unmap(addr, length, dir);

    public void SyncForDevice(ulong addr, int offset, int length, DmaDirection dir)
    {
        if (FailSync)
        {
            throw new DmaMapException("injected sync failure");
        }

        Checker.SyncForDevice(addr, offset, length, dir);
        _syncs.Enqueue(new SyncCall(addr, offset, length, dir));
    }

    public void SyncForCpu(ulong addr, int offset, int length, DmaDirection dir) => Checker.SyncForCpu(addr, offset, length, dir);

    public IEnumerable<SyncCall> SyncsOf(ulong address) => _syncs.Where(s => s.Address == address);
}

/// <summary>The injected failure of <see cref="RecordingDmaDevice.Map"/>.</summary>
internal sealed class DmaMapException(string message) : Exception(message);
