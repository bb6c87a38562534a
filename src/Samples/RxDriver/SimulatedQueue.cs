using System;
using System.Diagnostics.CodeAnalysis;
using PoolRules.Runtime;

namespace PoolRules.Samples.RxDriver;

/// <summary>One RX queue of the simulated NIC: its descriptor ring, and its TX queues (completed on the NIC's own thread).</summary>
internal sealed class SimulatedQueue(SimulatedNic nic, int index) : IRxQueueDevice
{
    private readonly RxRing _ring = nic.Rx(index);
    private long _posted;
    private long _cleaned;
    private int _takeBack;

    public int RingSize => _ring.Size;

    public int LinkHeaderLength => 0;

    public bool BusyPoll => false;

    public void SetInterrupt(Action interrupt) => _ring.Interrupt = interrupt;

    // The simulated NIC completes TX on its own thread: nothing waits for the poll.
    public bool HasUnannouncedWork => false;

    // The simulated NIC raises its interrupt after every batch it writes: nothing to unmask.
    public void EnableInterrupt()
    {
    }

    public int ReservePosts(int wanted) => (int)Math.Min(wanted, _ring.Size - (_posted - _cleaned));

    public void Post([TakesPageOwnership] Page page)
    {
        _ring[_posted].Page = page;
        _posted++;
    }

    public bool TryReceive([NotNullWhen(true)] out Page? page, out int offset, out int length)
    {
        if (_cleaned == _posted || _cleaned >= _ring.Filled)
        {
            page = null;
            offset = length = 0;
            return false;
        }

        ref var desc = ref _ring[_cleaned];
        page = desc.Page!;
        desc.Page = null;
        offset = RxQueue.Headroom;
        length = desc.Length;
        _cleaned++;
        return true;
    }

    [NapiContext]
    public bool Transmit(int txQueue, [TakesPageOwnership] Page page, int offset, int length)
    {
        if (nic.Transmit(txQueue, new TxFrame(page, offset, length)))
        {
            return true;
        }

        // TX ring full: the frame is dropped and the page recycled here, in NAPI context.
        page.Pool!.RecycleDirect(page);
        return false;
    }

    public bool TryComplete([NotNullWhen(true)] out Page? page)
    {
        page = null;
        return false;
    }

    public void Flush() => _ring.Post(_posted);

    public bool TryTakeBack([NotNullWhen(true)] out Page? page)
    {
        while (_takeBack < _ring.Size)
        {
            ref var desc = ref _ring[_takeBack++];
            if (desc.Page is { } posted)
            {
                desc.Page = null;
                page = posted;
                return true;
            }
        }

        page = null;
        return false;
    }
}
