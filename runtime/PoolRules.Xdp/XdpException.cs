using System;
using System.Runtime.InteropServices;

namespace PoolRules.Xdp;

/// <summary>What went wrong, for callers that branch on it rather than on the message.</summary>
public enum XdpErrorKind
{
    /// <summary>A system call failed for another reason; <see cref="XdpException.Errno"/> says which.</summary>
    SyscallFailed,

    /// <summary>The process is not root (AF_XDP and BPF need CAP_NET_ADMIN, CAP_BPF and CAP_IPC_LOCK).</summary>
    NotRoot,

    /// <summary>The kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS) or no BPF.</summary>
    NoAfXdp,

    /// <summary>No interface of that name in the calling thread's network namespace.</summary>
    UnknownInterface,

    /// <summary>The interface has no RX queue of that index.</summary>
    QueueOutOfRange,

    /// <summary>The interface's MTU is too large for native (driver) XDP.</summary>
    MtuTooLarge,

    /// <summary>The network namespace holds devices this code did not create.</summary>
    ForeignDevices,

    /// <summary>Not Linux.</summary>
    NotLinux,
}

/// <summary>An AF_XDP, BPF or rtnetlink operation failed; the message names the system call, errno, interface and queue.</summary>
public sealed class XdpException : Exception
{
    /// <summary>Creates the exception; <paramref name="errno"/> 0 when no system call failed.</summary>
    public XdpException(XdpErrorKind kind, string message, string? syscall = null, int errno = 0, string? interfaceName = null, int? queue = null)
        : base(Compose(message, syscall, errno, interfaceName, queue))
    {
        Kind = kind;
        Syscall = syscall;
        Errno = errno;
        Interface = interfaceName;
        Queue = queue;
    }

    /// <summary>What went wrong.</summary>
    public XdpErrorKind Kind { get; }

    /// <summary>The system call (or BPF / netlink command) that failed, if one did.</summary>
    public string? Syscall { get; }

    /// <summary>The errno it returned; 0 when the failure was found before any call.</summary>
    public int Errno { get; }

    /// <summary>The interface concerned, if any.</summary>
    public string? Interface { get; }

    /// <summary>The RX queue concerned, if any.</summary>
    public int? Queue { get; }

    internal static XdpException FromErrno(string what, string syscall, int errno, string? interfaceName = null, int? queue = null)
    {
        var kind = errno switch
        {
            PoolRules.Xdp.Errno.EPERM or PoolRules.Xdp.Errno.EACCES => XdpErrorKind.NotRoot,
            PoolRules.Xdp.Errno.EAFNOSUPPORT => XdpErrorKind.NoAfXdp,
            PoolRules.Xdp.Errno.ENODEV => XdpErrorKind.UnknownInterface,
            _ => XdpErrorKind.SyscallFailed,
        };
        return new XdpException(kind, what, syscall, errno, interfaceName, queue);
    }

    private static string Compose(string message, string? syscall, int errno, string? interfaceName, int? queue)
    {
        var where = (interfaceName, queue) switch
        {
            (null, null) => "",
            ({ } i, null) => $" (interface '{i}')",
            (null, { } q) => $" (queue {q})",
            ({ } i, { } q) => $" (interface '{i}', queue {q})",
        };
        return syscall is null || errno == 0
            ? message + where
            : $"{message}{where}: {syscall} failed with {PoolRules.Xdp.Errno.Name(errno)} ({errno}, {Marshal.GetPInvokeErrorMessage(errno)})";
    }
}
