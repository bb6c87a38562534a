using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace PoolRules.Xdp;

/// <summary>What the kernel says about one interface (RTM_GETLINK), in the calling thread's network namespace.</summary>
/// <param name="Name">The interface name.</param>
/// <param name="Index">Its ifindex.</param>
/// <param name="Mtu">Its MTU.</param>
/// <param name="RxQueues">RX queues in use (ethtool channels; IFLA_NUM_RX_QUEUES where the driver reports none).</param>
/// <param name="TxQueues">TX queues (IFLA_NUM_TX_QUEUES).</param>
/// <param name="Mac">Its hardware address (empty when it has none).</param>
/// <param name="LinkIndex">IFLA_LINK: for a veth the peer's ifindex, 0 when there is none.</param>
public sealed record LinkInfo(string Name, int Index, int Mtu, int RxQueues, int TxQueues, byte[] Mac, int LinkIndex);

/// <summary>
/// rtnetlink over a raw NETLINK_ROUTE socket: look up a link, create a veth pair with a queue count, bring a link up.
/// Every call acts in the calling thread's network namespace.
/// </summary>
public static unsafe class RtNetlink
{
    private const int NetlinkRoute = 0;
    private const ushort RtmNewLink = 16;
    private const ushort RtmGetLink = 18;
    private const ushort RtmSetLink = 19;
    private const ushort NlmsgError = 2;
    private const ushort NlmsgDone = 3;
    private const ushort FlagRequest = 1;
    private const ushort FlagAck = 4;
    private const ushort FlagExcl = 0x200;
    private const ushort FlagCreate = 0x400;
    private const ushort IflaAddress = 1;
    private const ushort IflaIfname = 3;
    private const ushort IflaMtu = 4;
    private const ushort IflaLink = 5;
    private const ushort IflaLinkinfo = 18;
    private const ushort IflaInfoKind = 1;
    private const ushort IflaInfoData = 2;
    private const ushort VethInfoPeer = 1;
    private const ushort IflaNumTxQueues = 31;
    private const ushort IflaNumRxQueues = 32;
    private const uint IffUp = 1;
    private const int IfInfoSize = 16;

    /// <summary>Looks up <paramref name="name"/>; throws <see cref="XdpException"/> (<see cref="XdpErrorKind.UnknownInterface"/>) when there is none.</summary>
    public static LinkInfo GetLink(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var msg = new Message(RtmGetLink, FlagRequest);
        msg.IfInfo(0, 0, 0);
        msg.StringAttr(IflaIfname, name);
        var reply = Transact(msg, $"looking up interface '{name}'", name, expectData: true);
        var link = ParseLink(reply, name);

        // IFLA_NUM_RX_QUEUES counts the queues allocated; a socket can bind only the ones in use, which ethtool knows.
        return TryGetRxChannels(name) is { } inUse ? link with { RxQueues = inUse } : link;
    }

    // ETHTOOL_GCHANNELS: RX-only plus combined channels are the RX queues in use; null where the driver does not say.
    private static int? TryGetRxChannels(string name)
    {
        const nuint siocEthtool = 0x8946;
        const uint ethtoolGchannels = 0x3c;
        var fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            var channels = stackalloc uint[9];
            new Span<uint>(channels, 9).Clear();
            channels[0] = ethtoolGchannels;
            var ifr = stackalloc byte[40];
            new Span<byte>(ifr, 40).Clear();
            WriteName(new Span<byte>(ifr, 16), name);
            *(ulong*)(ifr + 16) = (ulong)channels;
            if (Libc.ioctl(fd, siocEthtool, ifr) < 0)
            {
                return null;
            }

            var rx = (int)(channels[5] + channels[8]);
            return rx > 0 ? rx : null;
        }
        finally
        {
            Libc.CloseQuietly(ref fd);
        }
    }

    /// <summary>Looks up the interface with ifindex <paramref name="index"/>.</summary>
    public static LinkInfo GetLink(int index)
    {
        var msg = new Message(RtmGetLink, FlagRequest);
        msg.IfInfo(index, 0, 0);
        var what = $"ifindex {index}";
        var reply = Transact(msg, $"looking up {what}", what, expectData: true);
        return ParseLink(reply, null);
    }

    /// <summary>Creates the veth pair <paramref name="name"/>/<paramref name="peer"/>, each end with <paramref name="queues"/> RX and TX queues.</summary>
    public static void CreateVethPair(string name, string peer, int queues)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queues, 1);
        var msg = new Message(RtmNewLink, FlagRequest | FlagAck | FlagCreate | FlagExcl);
        msg.IfInfo(0, 0, 0);
        msg.StringAttr(IflaIfname, name);
        msg.U32Attr(IflaNumTxQueues, (uint)queues);
        msg.U32Attr(IflaNumRxQueues, (uint)queues);
        var linkInfo = msg.Begin(IflaLinkinfo);
        msg.StringAttr(IflaInfoKind, "veth");
        var data = msg.Begin(IflaInfoData);
        var peerInfo = msg.Begin(VethInfoPeer);
        msg.IfInfo(0, 0, 0);
        msg.StringAttr(IflaIfname, peer);
        msg.U32Attr(IflaNumTxQueues, (uint)queues);
        msg.U32Attr(IflaNumRxQueues, (uint)queues);
        msg.End(peerInfo);
        msg.End(data);
        msg.End(linkInfo);
        Transact(msg, $"creating veth pair '{name}'/'{peer}' with {queues} queues", name, expectData: false);
    }

    /// <summary>Brings <paramref name="name"/> up (RTM_SETLINK with IFF_UP).</summary>
    public static void SetUp(string name)
    {
        var link = GetLink(name);
        var msg = new Message(RtmSetLink, FlagRequest | FlagAck);
        msg.IfInfo(link.Index, IffUp, IffUp);
        Transact(msg, $"bringing '{name}' up", name, expectData: false);
    }

    /// <summary>Sets the MTU of <paramref name="name"/> (RTM_SETLINK with IFLA_MTU).</summary>
    public static void SetMtu(string name, int mtu)
    {
        var link = GetLink(name);
        var msg = new Message(RtmSetLink, FlagRequest | FlagAck);
        msg.IfInfo(link.Index, 0, 0);
        msg.U32Attr(IflaMtu, (uint)mtu);
        Transact(msg, $"setting the MTU of '{name}' to {mtu}", name, expectData: false);
    }

    /// <summary>
    /// Turns GRO on or off (SIOCETHTOOL ETHTOOL_SGRO). On a veth it gives the receiving end the NAPI that frames sent
    /// with XDP_TX from the peer need when this end runs XDP in generic mode.
    /// </summary>
    public static void SetGro(string name, bool on)
    {
        const nuint siocEthtool = 0x8946;
        const uint ethtoolSgro = 0x2c;
        var fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw XdpException.FromErrno("opening a socket for ethtool", "socket(AF_INET)", Libc.Errno, name);
        }

        try
        {
            var value = stackalloc uint[2];
            value[0] = ethtoolSgro;
            value[1] = on ? 1u : 0u;
            var ifr = stackalloc byte[40];
            new Span<byte>(ifr, 40).Clear();
            WriteName(new Span<byte>(ifr, 16), name);
            *(ulong*)(ifr + 16) = (ulong)value;
            if (Libc.ioctl(fd, siocEthtool, ifr) < 0)
            {
                throw XdpException.FromErrno($"turning GRO {(on ? "on" : "off")}", "ioctl(SIOCETHTOOL, ETHTOOL_SGRO)", Libc.Errno, name);
            }
        }
        finally
        {
            Libc.CloseQuietly(ref fd);
        }
    }

    /// <summary>The interfaces of the calling thread's network namespace (<c>/proc/thread-self/net/dev</c>).</summary>
    public static IReadOnlyList<string> ListInterfaces()
    {
        var names = new List<string>();
        foreach (var line in File.ReadAllLines("/proc/thread-self/net/dev"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                names.Add(line[..colon].Trim());
            }
        }

        return names;
    }

    private static void WriteName(Span<byte> to, string name)
    {
        if (Encoding.ASCII.GetByteCount(name) >= to.Length)
        {
            throw new ArgumentException($"Interface name '{name}' is longer than {to.Length - 1} bytes.", nameof(name));
        }

        Encoding.ASCII.GetBytes(name, to);
    }

    private static LinkInfo ParseLink(byte[] reply, string? name)
    {
        // reply: nlmsghdr (16) + ifinfomsg (16) + attributes.
        var span = reply.AsSpan();
        var index = BinaryPrimitives.ReadInt32LittleEndian(span[(16 + 4)..]);
        int mtu = 0, rx = 1, tx = 1, peer = 0;
        var mac = Array.Empty<byte>();
        var at = 16 + IfInfoSize;
        var end = (int)BinaryPrimitives.ReadUInt32LittleEndian(span);
        while (at + 4 <= end)
        {
            var len = BinaryPrimitives.ReadUInt16LittleEndian(span[at..]);
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(span[(at + 2)..]) & 0x3fff);
            if (len < 4)
            {
                break;
            }

            var payload = span.Slice(at + 4, len - 4);
            switch (type)
            {
                case IflaMtu:
                    mtu = (int)BinaryPrimitives.ReadUInt32LittleEndian(payload);
                    break;
                case IflaNumRxQueues:
                    rx = (int)BinaryPrimitives.ReadUInt32LittleEndian(payload);
                    break;
                case IflaNumTxQueues:
                    tx = (int)BinaryPrimitives.ReadUInt32LittleEndian(payload);
                    break;
                case IflaAddress:
                    mac = payload.ToArray();
                    break;
                case IflaLink:
                    peer = BinaryPrimitives.ReadInt32LittleEndian(payload);
                    break;
                case IflaIfname when name is null:
                    name = Encoding.ASCII.GetString(payload.TrimEnd((byte)0));
                    break;
            }

            at += (len + 3) & ~3;
        }

        return new LinkInfo(name ?? $"ifindex {index}", index, mtu, rx, tx, mac, peer);
    }

    private static byte[] Transact(Message msg, string what, string ifname, bool expectData)
    {
        var fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, NetlinkRoute);
        if (fd < 0)
        {
            throw XdpException.FromErrno(what, "socket(AF_NETLINK, NETLINK_ROUTE)", Libc.Errno, ifname);
        }

        try
        {
            var addr = stackalloc byte[12];
            new Span<byte>(addr, 12).Clear();
            *(ushort*)addr = Libc.AF_NETLINK;
            if (Libc.bind(fd, addr, 12) < 0)
            {
                throw XdpException.FromErrno(what, "bind(AF_NETLINK)", Libc.Errno, ifname);
            }

            // A reply that never comes must not hang the caller.
            var timeout = stackalloc long[2] { 5, 0 };
            _ = Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, timeout, 16);

            var request = msg.Finish();
            fixed (byte* p = request)
            {
                if (Libc.sendto(fd, p, (nuint)request.Length, 0, addr, 12) < 0)
                {
                    throw XdpException.FromErrno(what, "sendto(AF_NETLINK)", Libc.Errno, ifname);
                }
            }

            var buffer = new byte[32 * 1024];
            fixed (byte* b = buffer)
            {
                var n = (int)Libc.recv(fd, b, (nuint)buffer.Length, 0);
                if (n < 0)
                {
                    throw XdpException.FromErrno(what, "recv(AF_NETLINK)", Libc.Errno, ifname);
                }

                if (n < 16)
                {
                    throw new XdpException(XdpErrorKind.SyscallFailed, $"{what}: short netlink reply ({n} bytes)", interfaceName: ifname);
                }

                var type = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(4));
                if (type == NlmsgError)
                {
                    var error = -BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(16));
                    if (error != 0)
                    {
                        var command = msg.Type switch { RtmNewLink => "RTM_NEWLINK", RtmSetLink => "RTM_SETLINK", _ => "RTM_GETLINK" };
                        if (error == Errno.ENODEV && msg.Type == RtmGetLink)
                        {
                            throw new XdpException(XdpErrorKind.UnknownInterface, $"no interface '{ifname}' in this network namespace", command, error, ifname);
                        }

                        throw XdpException.FromErrno(what, command, error, ifname);
                    }

                    if (expectData)
                    {
                        throw new XdpException(XdpErrorKind.SyscallFailed, $"{what}: the kernel answered without data", interfaceName: ifname);
                    }

                    return Array.Empty<byte>();
                }

                if (type == NlmsgDone && expectData)
                {
                    throw new XdpException(XdpErrorKind.SyscallFailed, $"{what}: the kernel answered without data", interfaceName: ifname);
                }

                return buffer.AsSpan(0, n).ToArray();
            }
        }
        finally
        {
            Libc.CloseQuietly(ref fd);
        }
    }

    /// <summary>A netlink request under construction: header, ifinfomsg, attributes with nesting.</summary>
    private sealed class Message
    {
        private readonly byte[] _buffer = new byte[1024];
        private int _length = 16;

        public Message(ushort type, ushort flags)
        {
            Type = type;
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(4), type);
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(6), flags);
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(8), 1);
        }

        public ushort Type { get; }

        public void IfInfo(int index, uint flags, uint change)
        {
            var at = _buffer.AsSpan(_length, IfInfoSize);
            at.Clear();
            BinaryPrimitives.WriteInt32LittleEndian(at[4..], index);
            BinaryPrimitives.WriteUInt32LittleEndian(at[8..], flags);
            BinaryPrimitives.WriteUInt32LittleEndian(at[12..], change);
            _length += IfInfoSize;
        }

        public void StringAttr(ushort type, string value)
        {
            var bytes = Encoding.ASCII.GetBytes(value + "\0");
            Attr(type, bytes);
        }

        public void U32Attr(ushort type, uint value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            Attr(type, bytes);
        }

        public int Begin(ushort type)
        {
            var start = _length;
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length + 2), type);
            _length += 4;
            return start;
        }

        public void End(int start) => BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(start), (ushort)(_length - start));

        public byte[] Finish()
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_length);
            return _buffer.AsSpan(0, _length).ToArray();
        }

        private void Attr(ushort type, ReadOnlySpan<byte> payload)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length), (ushort)(4 + payload.Length));
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length + 2), type);
            payload.CopyTo(_buffer.AsSpan(_length + 4));
            var padded = (4 + payload.Length + 3) & ~3;
            _buffer.AsSpan(_length + 4 + payload.Length, padded - 4 - payload.Length).Clear();
            _length += padded;
        }
    }
}
