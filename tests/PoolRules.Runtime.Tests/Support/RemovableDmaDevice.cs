using System;
using System.Threading;

namespace PoolRules.Runtime.Tests.Support;

/// <summary>
/// A <see cref="CheckingDmaDevice"/> that can be hot-unplugged: after <see cref="Remove"/> every call throws, and is
/// counted, as a driver that touches a removed device would fault. <see cref="HoldSyncs"/> parks each sync for the
/// device until <see cref="ReleaseSyncs"/>, to catch a put mid-sync.
/// </summary>
internal sealed class RemovableDmaDevice : IDmaDevice
{
    private readonly ManualResetEventSlim _syncGate = new(initialState: true);
    private long _callsAfterRemoval;
    private volatile bool _removed;

    public CheckingDmaDevice Checker { get; } = new();

    public long CallsAfterRemoval => Volatile.Read(ref _callsAfterRemoval);

    /// <summary>Set while a sync is parked by <see cref="HoldSyncs"/>.</summary>
    public ManualResetEventSlim SyncEntered { get; } = new();

    public void Remove() => _removed = true;

    public void HoldSyncs() => _syncGate.Reset();

    public void ReleaseSyncs() => _syncGate.Set();

    public ulong Map(Page page, int offset, int length, DmaDirection dir)
    {
        ThrowIfRemoved(nameof(Map));
        return Checker.Map(page, offset, length, dir);
    }

    public void Unmap(ulong addr, int length, DmaDirection dir)
    {
        ThrowIfRemoved(nameof(Unmap));
        Checker.Unmap(addr, length, dir);
    }

    public void SyncForDevice(ulong addr, int offset, int length, DmaDirection dir)
    {
        ThrowIfRemoved(nameof(SyncForDevice));
        if (!_syncGate.IsSet)
        {
            SyncEntered.Set();
            _syncGate.Wait(TestThreads.Timeout);
        }

        Checker.SyncForDevice(addr, offset, length, dir);
    }

    public void SyncForCpu(ulong addr, int offset, int length, DmaDirection dir)
    {
        ThrowIfRemoved(nameof(SyncForCpu));
        Checker.SyncForCpu(addr, offset, length, dir);
    }

    private void ThrowIfRemoved(string operation)
    {
        if (_removed)
        {
            Interlocked.Increment(ref _callsAfterRemoval);
            throw new InvalidOperationException($"DMA: {operation} on a removed device.");
        }
    }
}
