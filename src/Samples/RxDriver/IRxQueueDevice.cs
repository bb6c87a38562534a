using System;
using System.Diagnostics.CodeAnalysis;
using PoolRules.Runtime;

namespace PoolRules.Samples.RxDriver;

/// <summary>
/// The hardware side of one RX queue, as the driver's queue logic sees it: descriptors to post pages into, received
/// frames to clean, a TX ring and its completions. <see cref="SimulatedQueue"/> is the simulated NIC's queue,
/// <see cref="XskQueue"/> an AF_XDP socket; <see cref="RxQueue"/> drives either the same way. A page posted, received,
/// queued for TX or completed changes hands: the device owns it between <see cref="Post"/> or
/// <see cref="Transmit"/> and <see cref="TryReceive"/>, <see cref="TryComplete"/> or <see cref="TryTakeBack"/>.
/// </summary>
internal interface IRxQueueDevice
{
    /// <summary>Descriptors the driver keeps posted.</summary>
    int RingSize { get; }

    /// <summary>Bytes of link-layer header before the payload the XDP program reads (0: the simulated frames have none).</summary>
    int LinkHeaderLength { get; }

    /// <summary>True when the device raises no interrupt: the queue's NAPI keeps polling while it is enabled (busy poll).</summary>
    bool BusyPoll { get; }

    /// <summary>The queue's interrupt line (devices that have one call it when frames arrive).</summary>
    void SetInterrupt(Action interrupt);

    /// <summary>
    /// Work left that no interrupt will announce: frames still on the TX ring after a kick found the device busy, or
    /// sent chunks waiting on the completion ring. The poll must not complete while there is any.
    /// </summary>
    bool HasUnannouncedWork { get; }

    /// <summary>Re-arms the interrupt once NAPI completed (<c>napi_complete_done</c> returned true), as drivers unmask their IRQ.</summary>
    void EnableInterrupt();

    /// <summary>How many of <paramref name="wanted"/> pages the device can take now.</summary>
    int ReservePosts(int wanted);

    /// <summary>Posts a page to receive into (one of those reserved).</summary>
    void Post([TakesPageOwnership] Page page);

    /// <summary>The next received frame: its page, where the frame starts in it and its length.</summary>
    bool TryReceive([NotNullWhen(true)] out Page? page, out int offset, out int length);

    /// <summary>
    /// Queues a frame for sending on <paramref name="txQueue"/>. The device takes the page either way: when its TX ring is
    /// full it drops the frame, recycles the page into its pool (hence NAPI context) and returns false.
    /// </summary>
    [NapiContext]
    bool Transmit(int txQueue, [TakesPageOwnership] Page page, int offset, int length);

    /// <summary>A page whose frame was sent, handed back (devices that complete on their own thread return none).</summary>
    bool TryComplete([NotNullWhen(true)] out Page? page);

    /// <summary>Publishes what was posted, received and queued since the last flush.</summary>
    void Flush();

    /// <summary>Unload, once the device is stopped: a page it still holds, until none is left.</summary>
    bool TryTakeBack([NotNullWhen(true)] out Page? page);
}
