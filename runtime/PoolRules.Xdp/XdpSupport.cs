using System;

namespace PoolRules.Xdp;

/// <summary>Can this process use AF_XDP here? One check per reason, each failing with its own clear error.</summary>
public static class XdpSupport
{
    /// <summary>Throws unless the process runs as root on Linux with AF_XDP sockets in the kernel.</summary>
    public static void EnsureAvailable()
    {
        EnsureRoot();
        var fd = Libc.socket(Libc.AF_XDP, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = Libc.Errno;
            throw errno == Errno.EAFNOSUPPORT
                ? new XdpException(XdpErrorKind.NoAfXdp, "the kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)", "socket(AF_XDP)", errno)
                : XdpException.FromErrno("opening an AF_XDP socket", "socket(AF_XDP)", errno);
        }

        Libc.CloseQuietly(ref fd);
    }

    /// <summary>Throws unless the process runs as root on Linux.</summary>
    public static void EnsureRoot()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new XdpException(XdpErrorKind.NotLinux, "AF_XDP needs Linux");
        }

        if (Libc.geteuid() != 0)
        {
            throw new XdpException(XdpErrorKind.NotRoot, "not root: AF_XDP, BPF and a private network namespace need root (CAP_NET_ADMIN, CAP_BPF, CAP_IPC_LOCK)");
        }
    }

    /// <summary>Pins the calling thread to <paramref name="cpu"/> (<c>sched_setaffinity</c> on the thread itself).</summary>
    public static unsafe void PinCurrentThread(int cpu)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cpu, 1024);
        var mask = stackalloc ulong[16];
        new Span<ulong>(mask, 16).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        if (Libc.sched_setaffinity(0, 16 * sizeof(ulong), mask) < 0)
        {
            throw XdpException.FromErrno($"pinning a thread to CPU {cpu}", "sched_setaffinity", Libc.Errno);
        }
    }
}
