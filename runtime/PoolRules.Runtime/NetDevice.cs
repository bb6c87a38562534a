using System;

namespace PoolRules.Runtime;

/// <summary>The kernel's <c>struct net_device</c>, reduced to what page pools care about: its name and queue counts.</summary>
public sealed class NetDevice
{
    /// <summary>Creates a device with the given number of hardware queues.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A queue count below 1.</exception>
    public NetDevice(string name, int rxQueueCount, int txQueueCount)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(rxQueueCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(txQueueCount, 1);
        Name = name;
        RxQueueCount = rxQueueCount;
        TxQueueCount = txQueueCount;
    }

    // Serialises rx-queue registrations on this device; private so callers cannot deadlock on it.
    internal object RegistrationGate { get; } = new();

    /// <summary>Interface name, e.g. "eth0".</summary>
    public string Name { get; }

    /// <summary>Hardware RX queues: create this many page pools, one per queue.</summary>
    [QueueCount]
    public int RxQueueCount { get; }

    /// <summary>Hardware TX queues.</summary>
    public int TxQueueCount { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
