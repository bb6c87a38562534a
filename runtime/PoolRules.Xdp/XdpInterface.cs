using System;
using System.Collections.Generic;

namespace PoolRules.Xdp;

/// <summary>How the XDP program is attached: in the driver (native) or on the skb path (generic).</summary>
public enum XdpAttachMode
{
    /// <summary>XDP_FLAGS_SKB_MODE: works on any interface, after the kernel has built an skb.</summary>
    Generic = 2,

    /// <summary>XDP_FLAGS_DRV_MODE: in the driver's receive path; veth has it, with an MTU up to about 3.5 KiB.</summary>
    Native = 4,
}

/// <summary>
/// AF_XDP on one interface: an XSKMAP, the redirect program attached with BPF_LINK_CREATE, and per RX queue a UMEM and
/// an AF_XDP socket. Unload in order: <see cref="Detach"/> (no more frames come in), <see cref="CloseSockets"/> (the
/// kernel lets go of every chunk), give the chunks back to their pools, then <see cref="Dispose"/> unmaps the UMEMs.
/// <see cref="Dispose"/> alone does all of it; every failure while opening releases what was made.
/// </summary>
public sealed class XdpInterface : IDisposable
{
    private readonly List<XskSocket> _sockets = new();
    private readonly List<Umem> _umems = new();
    private int _mapFd = -1;
    private int _progFd = -1;
    private int _linkFd = -1;

    private XdpInterface(LinkInfo link, XdpAttachMode mode)
    {
        Link = link;
        Mode = mode;
    }

    /// <summary>The interface.</summary>
    public LinkInfo Link { get; }

    /// <summary>How the program is attached.</summary>
    public XdpAttachMode Mode { get; }

    /// <summary>One socket per RX queue, index = queue.</summary>
    public IReadOnlyList<XskSocket> Sockets => _sockets;

    /// <summary>True until <see cref="Detach"/>.</summary>
    public bool IsAttached => _linkFd >= 0;

    /// <summary>
    /// Opens queues 0 to <paramref name="queues"/> - 1 of <paramref name="name"/> in the calling thread's network
    /// namespace. Throws <see cref="XdpException"/> naming the reason: not root, no AF_XDP, unknown interface, a queue the
    /// interface does not have, an MTU too large for native mode, or the system call that failed.
    /// </summary>
    public static XdpInterface Open(string name, int queues, XdpAttachMode mode, XskConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        XdpSupport.EnsureAvailable();
        var link = RtNetlink.GetLink(name);
        if (queues < 1 || queues > link.RxQueues)
        {
            throw new XdpException(XdpErrorKind.QueueOutOfRange,
                $"queue {Math.Max(queues - 1, 0)} out of range: '{name}' has {link.RxQueues} RX queue{(link.RxQueues == 1 ? "" : "s")} (asked for {queues})",
                interfaceName: name, queue: Math.Max(queues - 1, 0));
        }

        var device = new XdpInterface(link, mode);
        try
        {
            device._mapFd = Bpf.CreateXskMap(link.RxQueues, name);
            device._progFd = Bpf.LoadRedirectProgram(device._mapFd, name);
            for (var q = 0; q < queues; q++)
            {
                var umem = new Umem(config.Frames);
                device._umems.Add(umem);
                var socket = XskSocket.Create(name, link.Index, q, umem, config);
                device._sockets.Add(socket);
                Bpf.UpdateXskMap(device._mapFd, q, socket.Fd, name);
            }

            // Attached last: until now a frame would find no socket in the map.
            device._linkFd = Bpf.AttachXdp(device._progFd, link.Index, mode, name);
            return device;
        }
        catch (XdpException ex) when (ex.Errno == Errno.ERANGE && mode == XdpAttachMode.Native)
        {
            device.Dispose();
            throw new XdpException(XdpErrorKind.MtuTooLarge, $"{DescribeMtu(link)} is too large for native XDP (keep it at 1500, or attach in generic mode)", ex.Syscall, ex.Errno, name);
        }
        catch (XdpException ex) when (ex.Errno == Errno.EOPNOTSUPP && mode == XdpAttachMode.Native && ex.Syscall == "bpf(BPF_LINK_CREATE)")
        {
            device.Dispose();
            throw new XdpException(ex.Kind, $"'{name}' has no native XDP (attach in generic mode)", ex.Syscall, ex.Errno, name);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    // A veth takes a native program only while its peer's MTU fits a page; a NIC checks its own.
    private static string DescribeMtu(LinkInfo link)
    {
        if (link.LinkIndex != 0 && link.LinkIndex != link.Index)
        {
            try
            {
                var peer = RtNetlink.GetLink(link.LinkIndex);
                if (peer.Mtu > link.Mtu)
                {
                    return $"MTU {peer.Mtu} of '{peer.Name}' (the peer of '{link.Name}')";
                }
            }
            catch (XdpException)
            {
                // The peer is in another namespace: its MTU cannot be read from here.
            }
        }

        return $"MTU {link.Mtu}";
    }

    /// <summary>Detaches the program (closes the link); frames go to the stack again.</summary>
    public void Detach() => Libc.CloseQuietly(ref _linkFd);

    /// <summary>Closes the sockets and the program; after this the kernel holds no chunk of any UMEM.</summary>
    public void CloseSockets()
    {
        Detach();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        Libc.CloseQuietly(ref _progFd);
        Libc.CloseQuietly(ref _mapFd);
    }

    /// <summary>Everything <see cref="CloseSockets"/> does, then unmaps the UMEMs: call it once their pools are freed.</summary>
    public void Dispose()
    {
        CloseSockets();
        foreach (var umem in _umems)
        {
            umem.Dispose();
        }
    }
}
