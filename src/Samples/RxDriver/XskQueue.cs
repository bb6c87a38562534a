using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.Versioning;
using PoolRules.Runtime;
using PoolRules.Xdp;

namespace PoolRules.Samples.RxDriver;

/// <summary>
/// One RX queue's AF_XDP socket as the driver's device. A page's DMA address is its chunk's UMEM offset: that goes on the
/// fill ring, and <c>_byChunk</c> remembers which page the kernel holds in each chunk (on the fill, RX, TX or completion
/// ring) until a descriptor hands the chunk back. In checked mode a chunk posted twice, or handed back when nobody
/// posted it, throws: no chunk is ever in two places.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class XskQueue : IRxQueueDevice
{
    private const int Batch = 64;

    private readonly XskSocket _socket;
    private readonly XskInterrupts? _interrupts;
    private readonly Page?[] _byChunk;
    private readonly bool _checked;
    private uint _fillStart;
    private uint _fillPending;
    private uint _rxStart;
    private uint _rxPeeked;
    private uint _rxTaken;
    private uint _txStart;
    private uint _txPending;
    private uint _compStart;
    private uint _compPeeked;
    private uint _compTaken;
    private int _takeBack;

    // Checked mode: pages refused because their chunk was already the kernel's. They stay out of every ring and pool;
    // unload gives back those that are not the very page the kernel holds (that one comes back through its ring).
    private List<Page>? _refused;
    private HashSet<Page>? _takenBack;

    /// <summary>A queue over <paramref name="socket"/>; without <paramref name="interrupts"/> its NAPI busy-polls.</summary>
    public XskQueue(XskSocket socket, bool checkedMode, XskInterrupts? interrupts = null)
    {
        _socket = socket;
        _interrupts = interrupts;
        _byChunk = new Page?[socket.Umem.Chunks];
        _checked = checkedMode;
        RingSize = (int)socket.Fill.Size;
    }

    public int RingSize { get; }

    /// <summary>An Ethernet header.</summary>
    public int LinkHeaderLength => 14;

    /// <summary>Without an interrupt line the poll runs again and again while NAPI is enabled (veth never asks for a fill-ring wakeup).</summary>
    public bool BusyPoll => _interrupts is null;

    /// <summary>Kicks that found the kernel's TX path busy (the frames stayed on the ring and went with a later kick).</summary>
    public long TxBusy { get; private set; }

    public XskStatistics Statistics => _socket.GetStatistics();

    public void SetInterrupt(Action interrupt) => _interrupts?.SetHandler(_socket.Queue, interrupt);

    public void EnableInterrupt() => _interrupts?.Arm(_socket.Queue);

    // poll(2) wakes for RX frames only; unsent TX frames and completions need the poll itself.
    public bool HasUnannouncedWork => _socket.Tx.Outstanding != 0 || _socket.Completion.Peek(1, out _) != 0;

    public int ReservePosts(int wanted) => (int)(_socket.Fill.Reserve((uint)wanted + _fillPending, out _fillStart) - _fillPending);

    public void Post([TakesPageOwnership] Page page)
    {
        var addr = page.Pool!.GetDmaAddress(page);
        var chunk = (int)(addr / Umem.ChunkSize);
        if (_checked && _byChunk[chunk] is not null)
        {
            (_refused ??= new List<Page>()).Add(page);
            throw new InvalidOperationException($"UMEM chunk {chunk} of queue {_socket.Queue} posted while the kernel already holds it.");
        }

        _byChunk[chunk] = page;
        _socket.Fill.Address(_fillStart + _fillPending++) = addr;
    }

    public bool TryReceive([NotNullWhen(true)] out Page? page, out int offset, out int length)
    {
        if (_rxTaken == _rxPeeked)
        {
            if (_rxPeeked != 0)
            {
                _socket.Rx.Release(_rxPeeked);
                _rxTaken = _rxPeeked = 0;
            }

            _rxPeeked = _socket.Rx.Peek(Batch, out _rxStart);
            if (_rxPeeked == 0)
            {
                page = null;
                offset = length = 0;
                return false;
            }
        }

        var desc = _socket.Rx.Descriptor(_rxStart + _rxTaken++);
        var chunk = (int)(desc.Address / Umem.ChunkSize);
        offset = (int)(desc.Address % Umem.ChunkSize);
        length = (int)desc.Length;
        page = TakeChunk(chunk, "RX");
        return true;
    }

    /// <summary>Every TX queue index maps to this socket's own TX ring: another queue's ring belongs to another UMEM and another pool.</summary>
    [NapiContext]
    public bool Transmit(int txQueue, [TakesPageOwnership] Page page, int offset, int length)
    {
        if (_socket.Tx.Reserve(_txPending + 1, out _txStart) <= _txPending)
        {
            page.Pool!.RecycleDirect(page);
            return false;
        }

        var chunk = _socket.Umem.ChunkOf(page.Address);
        if (_checked && _byChunk[chunk] is not null)
        {
            (_refused ??= new List<Page>()).Add(page);
            throw new InvalidOperationException($"UMEM chunk {chunk} of queue {_socket.Queue} queued for TX while the kernel already holds it.");
        }

        _byChunk[chunk] = page;
        ref var desc = ref _socket.Tx.Descriptor(_txStart + _txPending++);
        desc.Address = (ulong)chunk * Umem.ChunkSize + (ulong)offset;
        desc.Length = (uint)length;
        desc.Options = 0;
        return true;
    }

    public bool TryComplete([NotNullWhen(true)] out Page? page)
    {
        if (_compTaken == _compPeeked)
        {
            if (_compPeeked != 0)
            {
                _socket.Completion.Release(_compPeeked);
                _compTaken = _compPeeked = 0;
            }

            _compPeeked = _socket.Completion.Peek(Batch, out _compStart);
            if (_compPeeked == 0)
            {
                page = null;
                return false;
            }
        }

        var addr = _socket.Completion.Address(_compStart + _compTaken++);
        page = TakeChunk((int)(addr / Umem.ChunkSize), "completion");
        return true;
    }

    public void Flush()
    {
        if (_rxPeeked != 0)
        {
            _socket.Rx.Release(_rxTaken);
            _rxTaken = _rxPeeked = 0;
        }

        if (_compPeeked != 0)
        {
            _socket.Completion.Release(_compTaken);
            _compTaken = _compPeeked = 0;
        }

        if (_fillPending != 0)
        {
            _socket.Fill.Submit(_fillPending);
            _fillPending = 0;
        }

        if (_txPending != 0)
        {
            _socket.Tx.Submit(_txPending);
            _txPending = 0;
            Kick();
        }
        else if (_socket.Tx.Outstanding != 0)
        {
            // A kick that found the kernel busy left frames on the ring; copy mode sends only inside a kick.
            Kick();
        }
    }

    /// <summary>After the socket is closed: every chunk the kernel held comes back, in chunk order.</summary>
    public bool TryTakeBack([NotNullWhen(true)] out Page? page)
    {
        while (_takeBack < _byChunk.Length)
        {
            var chunk = _takeBack++;
            var held = _byChunk[chunk];
            if (held is not null)
            {
                _byChunk[chunk] = null;
                if (_refused is not null)
                {
                    (_takenBack ??= new HashSet<Page>()).Add(held);
                }

                page = held;
                return true;
            }
        }

        while (_refused is { Count: > 0 })
        {
            var last = _refused.Count - 1;
            var refused = _refused[last];
            _refused.RemoveAt(last);
            if (_takenBack is null || !_takenBack.Contains(refused))
            {
                page = refused;
                return true;
            }
        }

        page = null;
        return false;
    }

    private Page TakeChunk(int chunk, string ring)
    {
        var page = _byChunk[chunk];
        _byChunk[chunk] = null;
        return page ?? throw new InvalidOperationException($"The {ring} ring of queue {_socket.Queue} handed back UMEM chunk {chunk}, which the driver did not give the kernel.");
    }

    private void Kick()
    {
        if (!_socket.KickTx())
        {
            TxBusy++;
        }
    }
}
