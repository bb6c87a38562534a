using System;
using System.Numerics;

namespace PoolRules.Xdp;

/// <summary>Sizes of a queue's UMEM and rings (ring sizes are powers of two).</summary>
public sealed class XskConfig
{
    /// <summary>UMEM chunks of 4096 bytes.</summary>
    public int Frames { get; init; } = 4096;

    /// <summary>Fill ring entries.</summary>
    public int FillRingSize { get; init; } = 2048;

    /// <summary>Completion ring entries.</summary>
    public int CompletionRingSize { get; init; } = 2048;

    /// <summary>RX ring entries.</summary>
    public int RxRingSize { get; init; } = 2048;

    /// <summary>TX ring entries.</summary>
    public int TxRingSize { get; init; } = 2048;

    /// <summary>How the socket binds: copy (the only mode veth has), zero-copy, or whichever the driver can.</summary>
    public XskBindMode BindMode { get; init; } = XskBindMode.Copy;

    internal void Validate()
    {
        foreach (var (name, size) in new[] { ("FillRingSize", FillRingSize), ("CompletionRingSize", CompletionRingSize), ("RxRingSize", RxRingSize), ("TxRingSize", TxRingSize) })
        {
            if (size < 1 || !BitOperations.IsPow2(size))
            {
                throw new ArgumentOutOfRangeException(name, size, $"XskConfig.{name} must be a power of two.");
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(Frames, 1, nameof(Frames));
    }
}

/// <summary>XDP_COPY, XDP_ZEROCOPY, or neither (the kernel tries zero-copy and falls back to copy).</summary>
public enum XskBindMode
{
    /// <summary>XDP_COPY: the kernel copies frames to and from the UMEM.</summary>
    Copy,

    /// <summary>XDP_ZEROCOPY: the driver DMAs into the UMEM; bind fails where it cannot.</summary>
    ZeroCopy,

    /// <summary>No flag: zero-copy where the driver can, else copy.</summary>
    Auto,
}

/// <summary>The kernel's counters of one AF_XDP socket (XDP_STATISTICS).</summary>
public readonly record struct XskStatistics(ulong RxDropped, ulong RxInvalidDescriptors, ulong TxInvalidDescriptors, ulong RxRingFull, ulong RxFillRingEmpty, ulong TxRingEmpty);

/// <summary>
/// One AF_XDP socket bound to (interface, RX queue) with its own UMEM and its fill, completion, RX and TX rings. The
/// socket, its ring mappings and (unless handed over) its UMEM are released on <see cref="Dispose"/> and on every
/// failure while it is being made.
/// </summary>
public sealed unsafe class XskSocket : IDisposable
{
    private const int SolXdp = 283;
    private const int XdpMmapOffsets = 1;
    private const int XdpRxRing = 2;
    private const int XdpTxRing = 3;
    private const int XdpUmemReg = 4;
    private const int XdpUmemFillRing = 5;
    private const int XdpUmemCompletionRing = 6;
    private const int XdpStatisticsOpt = 7;
    private const ushort XdpCopy = 2;
    private const ushort XdpZeroCopy = 4;
    private const ushort XdpUseNeedWakeup = 8;
    private const long PgoffRx = 0;
    private const long PgoffTx = 0x80000000;
    private const long PgoffFill = 0x100000000;
    private const long PgoffCompletion = 0x180000000;

    private int _fd = -1;
    private readonly (nint Address, nuint Length)[] _maps = new (nint, nuint)[4];

    private XskSocket(string ifname, int queue, Umem umem)
    {
        Interface = ifname;
        Queue = queue;
        Umem = umem;
    }

    /// <summary>The interface it is bound to.</summary>
    public string Interface { get; }

    /// <summary>The RX queue it is bound to.</summary>
    public int Queue { get; }

    /// <summary>The socket's fd (what the XSKMAP holds).</summary>
    public int Fd => _fd;

    /// <summary>The UMEM registered with this socket; it outlives the socket (see <see cref="XdpInterface.Dispose"/>).</summary>
    public Umem Umem { get; }

    /// <summary>Where the kernel puts received frames.</summary>
    public XskRing Rx { get; private set; } = null!;

    /// <summary>Where frames to send go.</summary>
    public XskRing Tx { get; private set; } = null!;

    /// <summary>Where chunks for the kernel to receive into go.</summary>
    public XskRing Fill { get; private set; } = null!;

    /// <summary>Where the kernel hands sent chunks back.</summary>
    public XskRing Completion { get; private set; } = null!;

    /// <summary>Headroom before a received frame in its chunk (XDP_PACKET_HEADROOM in copy mode).</summary>
    public const int FrameHeadroom = 256;

    /// <summary>Opens a socket on (<paramref name="ifindex"/>, <paramref name="queue"/>) over <paramref name="umem"/>; runs in the calling thread's network namespace.</summary>
    public static XskSocket Create(string ifname, int ifindex, int queue, Umem umem, XskConfig config)
    {
        ArgumentNullException.ThrowIfNull(umem);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var socket = new XskSocket(ifname, queue, umem);
        try
        {
            socket.Open(ifindex, config);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Open(int ifindex, XskConfig config)
    {
        _fd = Libc.socket(Libc.AF_XDP, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, 0);
        if (_fd < 0)
        {
            var errno = Libc.Errno;
            throw errno == Errno.EAFNOSUPPORT
                ? new XdpException(XdpErrorKind.NoAfXdp, "the kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)", "socket(AF_XDP)", errno, Interface, Queue)
                : XdpException.FromErrno("opening an AF_XDP socket", "socket(AF_XDP)", errno, Interface, Queue);
        }

        var reg = stackalloc ulong[4];
        reg[0] = (ulong)Umem.Base;
        reg[1] = Umem.Length;
        ((uint*)reg)[4] = Umem.ChunkSize;
        ((uint*)reg)[5] = 0;
        ((uint*)reg)[6] = 0;
        ((uint*)reg)[7] = 0;
        SetOption(XdpUmemReg, reg, 32, "XDP_UMEM_REG");
        SetRingSize(XdpUmemFillRing, config.FillRingSize, "XDP_UMEM_FILL_RING");
        SetRingSize(XdpUmemCompletionRing, config.CompletionRingSize, "XDP_UMEM_COMPLETION_RING");
        SetRingSize(XdpRxRing, config.RxRingSize, "XDP_RX_RING");
        SetRingSize(XdpTxRing, config.TxRingSize, "XDP_TX_RING");

        var offsets = stackalloc ulong[16];
        var length = 128u;
        if (Libc.getsockopt(_fd, SolXdp, XdpMmapOffsets, offsets, &length) < 0)
        {
            throw XdpException.FromErrno("reading the ring offsets", "getsockopt(XDP_MMAP_OFFSETS)", Libc.Errno, Interface, Queue);
        }

        Rx = MapRing(0, offsets, 0, config.RxRingSize, 16, PgoffRx, "RX");
        Tx = MapRing(1, offsets, 4, config.TxRingSize, 16, PgoffTx, "TX");
        Fill = MapRing(2, offsets, 8, config.FillRingSize, 8, PgoffFill, "fill");
        Completion = MapRing(3, offsets, 12, config.CompletionRingSize, 8, PgoffCompletion, "completion");

        var addr = stackalloc byte[16];
        new Span<byte>(addr, 16).Clear();
        *(ushort*)addr = Libc.AF_XDP;
        *(ushort*)(addr + 2) = (ushort)(config.BindMode switch { XskBindMode.Copy => XdpCopy, XskBindMode.ZeroCopy => XdpZeroCopy, _ => 0 } | XdpUseNeedWakeup);
        *(uint*)(addr + 4) = (uint)ifindex;
        *(uint*)(addr + 8) = (uint)Queue;
        // The kernel lets go of a closed socket's queue in deferred work: a bind right after a close can find the
        // queue still busy for a moment.
        for (var attempt = 0; Libc.bind(_fd, addr, 16) < 0; attempt++)
        {
            var errno = Libc.Errno;
            if (errno != Errno.EBUSY || attempt == 100)
            {
                throw XdpException.FromErrno("binding the AF_XDP socket", "bind(AF_XDP)", errno, Interface, Queue);
            }

            System.Threading.Thread.Sleep(10);
        }
    }

    private void SetRingSize(int option, int size, string name)
    {
        var value = (uint)size;
        SetOption(option, &value, 4, name);
    }

    private void SetOption(int option, void* value, uint length, string name)
    {
        if (Libc.setsockopt(_fd, SolXdp, option, value, length) < 0)
        {
            throw XdpException.FromErrno($"setting {name}", $"setsockopt({name})", Libc.Errno, Interface, Queue);
        }
    }

    private XskRing MapRing(int slot, ulong* offsets, int at, int size, int entrySize, long pageOffset, string name)
    {
        var length = (nuint)(offsets[at + 2] + (ulong)(size * entrySize));
        var map = Libc.mmap(0, length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, _fd, pageOffset);
        if (map == -1)
        {
            throw XdpException.FromErrno($"mapping the {name} ring", "mmap", Libc.Errno, Interface, Queue);
        }

        _maps[slot] = (map, length);
        return new XskRing(map, offsets[at], offsets[at + 1], offsets[at + 2], offsets[at + 3], (uint)size);
    }

    /// <summary>
    /// Makes the kernel send what is on the TX ring. Copy mode sends inside <c>sendto</c>, at most 32 frames a call
    /// (then EAGAIN), so this kicks again while the kernel keeps consuming. False when frames stay on the ring because
    /// the device was busy: they go with a later kick.
    /// </summary>
    public bool KickTx()
    {
        for (var attempt = 0; attempt < 256; attempt++)
        {
            var before = Tx.Outstanding;
            if (Libc.sendto(_fd, null, 0, Libc.MSG_DONTWAIT, null, 0) >= 0)
            {
                return true;
            }

            var errno = Libc.Errno;
            if (errno is not (Errno.EAGAIN or Errno.EBUSY or Errno.ENOBUFS or Errno.ENETDOWN))
            {
                throw XdpException.FromErrno("kicking TX", "sendto(AF_XDP)", errno, Interface, Queue);
            }

            if (errno != Errno.EAGAIN || Tx.Outstanding >= before)
            {
                return false;
            }
        }

        return Tx.Outstanding == 0;
    }

    /// <summary>The socket's counters (XDP_STATISTICS).</summary>
    public XskStatistics GetStatistics()
    {
        var s = stackalloc ulong[6];
        new Span<ulong>(s, 6).Clear();
        var length = 48u;
        if (Libc.getsockopt(_fd, SolXdp, XdpStatisticsOpt, s, &length) < 0)
        {
            throw XdpException.FromErrno("reading the socket's statistics", "getsockopt(XDP_STATISTICS)", Libc.Errno, Interface, Queue);
        }

        return new XskStatistics(s[0], s[1], s[2], s[3], s[4], s[5]);
    }

    /// <summary>Closes the socket and unmaps its rings; the UMEM stays mapped until its owner disposes it.</summary>
    public void Dispose()
    {
        for (var i = 0; i < _maps.Length; i++)
        {
            if (_maps[i].Address != 0)
            {
                _ = Libc.munmap(_maps[i].Address, _maps[i].Length);
                _maps[i] = default;
            }
        }

        Libc.CloseQuietly(ref _fd);
    }
}
