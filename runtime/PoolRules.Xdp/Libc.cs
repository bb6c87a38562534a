using System.Runtime.InteropServices;

namespace PoolRules.Xdp;

/// <summary>The libc calls AF_XDP, BPF and rtnetlink need; errno through <see cref="Marshal.GetLastPInvokeError"/>.</summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    public const int AF_NETLINK = 16;
    public const int AF_PACKET = 17;
    public const int AF_INET = 2;
    public const int AF_XDP = 44;
    public const int SOCK_RAW = 3;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_RCVTIMEO = 20;
    public const int SO_RCVBUF = 8;
    public const int MSG_DONTWAIT = 0x40;
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_CLOEXEC = 0x80000;
    public const int CLONE_NEWNET = 0x40000000;
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;
    public const int MAP_PRIVATE = 2;
    public const int MAP_ANONYMOUS = 0x20;
    public const int MAP_POPULATE = 0x8000;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int geteuid();

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial nint Syscall(nint number, nint a1, nint a2, nint a3);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int bind(int fd, void* addr, uint length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int munmap(nint addr, nuint length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint sendto(int fd, void* buffer, nuint length, int flags, void* addr, uint addrLength);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint recv(int fd, void* buffer, nuint length, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int unshare(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setns(int fd, int nstype);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint write(int fd, void* buffer, nuint length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint read(int fd, void* buffer, nuint length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* arg);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int sched_setaffinity(int pid, nuint size, ulong* mask);

    public const short POLLIN = 1;
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>close(2) for cleanup paths: the fd is ours and is dropped whatever close says.</summary>
    public static void CloseQuietly(ref int fd)
    {
        if (fd >= 0)
        {
            _ = close(fd);
            fd = -1;
        }
    }
}

/// <summary>The errno values this code tells apart, with their names for messages.</summary>
internal static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int ENXIO = 6;
    public const int E2BIG = 7;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int ENOSYS = 38;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int ERANGE = 34;
    public const int EOPNOTSUPP = 95;
    public const int EAFNOSUPPORT = 97;
    public const int ENETDOWN = 100;
    public const int ENOBUFS = 105;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EINTR => "EINTR",
        ENXIO => "ENXIO",
        E2BIG => "E2BIG",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        ENODEV => "ENODEV",
        EINVAL => "EINVAL",
        ENOSPC => "ENOSPC",
        ERANGE => "ERANGE",
        EOPNOTSUPP => "EOPNOTSUPP",
        EAFNOSUPPORT => "EAFNOSUPPORT",
        ENETDOWN => "ENETDOWN",
        ENOBUFS => "ENOBUFS",
        _ => "errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
