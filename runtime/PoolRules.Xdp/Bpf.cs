using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace PoolRules.Xdp;

/// <summary>The bpf(2) commands this device uses; attribute offsets from <c>linux/bpf.h</c> (union bpf_attr).</summary>
internal static unsafe class Bpf
{
    private const int AttrSize = 144;
    private const int MapCreate = 0;
    private const int MapUpdateElem = 2;
    private const int ProgLoad = 5;
    private const int ProgTestRun = 10;
    private const int LinkCreate = 28;
    private const int MapTypeXskMap = 17;
    private const int ProgTypeXdp = 6;
    private const int AttachTypeXdp = 37;

    /// <summary>BPF_F_TEST_XDP_LIVE_FRAMES: test-run frames really go out (XDP_TX transmits on the ingress device).</summary>
    public const int TestXdpLiveFrames = 2;

    public const int XdpPass = 2;
    public const int XdpTx = 3;

    private static readonly nint SyscallNumber = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        _ => -1,
    };

    private static int Call(int cmd, byte* attr, string what, string? ifname = null, int? queue = null)
    {
        if (SyscallNumber < 0)
        {
            throw new XdpException(XdpErrorKind.NoAfXdp, $"{what}: no bpf(2) syscall number known for {RuntimeInformation.ProcessArchitecture}");
        }

        var r = Libc.Syscall(SyscallNumber, cmd, (nint)attr, AttrSize);
        if (r < 0)
        {
            var errno = Libc.Errno;
            throw errno == Errno.ENOSYS
                ? new XdpException(XdpErrorKind.NoAfXdp, $"{what}: the kernel has no BPF (CONFIG_BPF_SYSCALL)", $"bpf({CommandName(cmd)})", errno, ifname, queue)
                : XdpException.FromErrno(what, $"bpf({CommandName(cmd)})", errno, ifname, queue);
        }

        return (int)r;
    }

    private static string CommandName(int cmd) => cmd switch
    {
        MapCreate => "BPF_MAP_CREATE",
        MapUpdateElem => "BPF_MAP_UPDATE_ELEM",
        ProgLoad => "BPF_PROG_LOAD",
        ProgTestRun => "BPF_PROG_TEST_RUN",
        LinkCreate => "BPF_LINK_CREATE",
        _ => cmd.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static int CreateXskMap(int entries, string ifname)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = MapTypeXskMap;
        *(uint*)(attr + 4) = 4;
        *(uint*)(attr + 8) = 4;
        *(uint*)(attr + 12) = (uint)entries;
        return Call(MapCreate, attr, "creating the XSKMAP", ifname);
    }

    public static void UpdateXskMap(int mapFd, int queue, int socketFd, string ifname)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        var key = (uint)queue;
        var value = (uint)socketFd;
        *(uint*)attr = (uint)mapFd;
        *(ulong*)(attr + 8) = (ulong)&key;
        *(ulong*)(attr + 16) = (ulong)&value;
        Call(MapUpdateElem, attr, "adding the AF_XDP socket to the XSKMAP", ifname, queue);
    }

    /// <summary>
    /// <c>return bpf_redirect_map(&amp;xsks_map, ctx->rx_queue_index, XDP_PASS);</c>: frames of a queue without a socket
    /// go on to the stack.
    /// </summary>
    public static int LoadRedirectProgram(int mapFd, string ifname)
    {
        Span<byte> insns = stackalloc byte[6 * 8];
        insns.Clear();
        Insn(insns, 0, 0x61, 2, 1, 16, 0);            // r2 = *(u32 *)(r1 + 16): xdp_md.rx_queue_index
        Insn(insns, 1, 0x18, 1, 1, 0, mapFd);         // r1 = map (ld_imm64, src BPF_PSEUDO_MAP_FD)
        Insn(insns, 3, 0xb7, 3, 0, 0, XdpPass);       // r3 = XDP_PASS
        Insn(insns, 4, 0x85, 0, 0, 0, 51);            // call bpf_redirect_map
        Insn(insns, 5, 0x95, 0, 0, 0, 0);             // exit
        return LoadXdp(insns, "loading the XDP redirect program", ifname);
    }

    /// <summary><c>return verdict;</c> (XDP_TX for the live-frames traffic source, XDP_PASS for a peer that only receives).</summary>
    public static int LoadConstantProgram(int verdict, string ifname)
    {
        Span<byte> insns = stackalloc byte[2 * 8];
        insns.Clear();
        Insn(insns, 0, 0xb7, 0, 0, 0, verdict);       // r0 = verdict
        Insn(insns, 1, 0x95, 0, 0, 0, 0);             // exit
        return LoadXdp(insns, "loading an XDP program", ifname);
    }

    private static void Insn(Span<byte> insns, int index, byte op, int dst, int src, short off, int imm)
    {
        var at = insns.Slice(index * 8, 8);
        at[0] = op;
        at[1] = (byte)(dst | (src << 4));
        BinaryPrimitives.WriteInt16LittleEndian(at[2..], off);
        BinaryPrimitives.WriteInt32LittleEndian(at[4..], imm);
    }

    private static int LoadXdp(ReadOnlySpan<byte> insns, string what, string ifname)
    {
        const int logSize = 16 * 1024;
        var license = "GPL\0"u8;
        var log = (byte*)NativeMemory.AllocZeroed(logSize);
        try
        {
            fixed (byte* code = insns)
            fixed (byte* lic = license)
            {
                var attr = stackalloc byte[AttrSize];
                new Span<byte>(attr, AttrSize).Clear();
                *(uint*)attr = ProgTypeXdp;
                *(uint*)(attr + 4) = (uint)(insns.Length / 8);
                *(ulong*)(attr + 8) = (ulong)code;
                *(ulong*)(attr + 16) = (ulong)lic;
                *(uint*)(attr + 24) = 1;
                *(uint*)(attr + 28) = logSize;
                *(ulong*)(attr + 32) = (ulong)log;
                *(uint*)(attr + 68) = AttachTypeXdp;
                try
                {
                    return Call(ProgLoad, attr, what, ifname);
                }
                catch (XdpException ex) when (ex.Errno is Errno.EINVAL or Errno.EACCES && log[0] != 0)
                {
                    var text = Encoding.ASCII.GetString(log, new Span<byte>(log, logSize).IndexOf((byte)0)).Trim();
                    throw new XdpException(ex.Kind, $"{what}; verifier log: {text}", ex.Syscall, ex.Errno, ifname);
                }
            }
        }
        finally
        {
            NativeMemory.Free(log);
        }
    }

    /// <summary>BPF_LINK_CREATE: attaches the program; closing the returned fd detaches it.</summary>
    public static int AttachXdp(int progFd, int ifindex, XdpAttachMode mode, string ifname)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = (uint)progFd;
        *(uint*)(attr + 4) = (uint)ifindex;
        *(uint*)(attr + 8) = AttachTypeXdp;
        *(uint*)(attr + 12) = (uint)mode;
        return Call(LinkCreate, attr, $"attaching the XDP program in {mode} mode", ifname);
    }

    /// <summary>
    /// BPF_PROG_TEST_RUN with live frames: runs <paramref name="progFd"/> <paramref name="repeat"/> times over
    /// <paramref name="frame"/> as if it had arrived on <paramref name="ifindex"/>; an XDP_TX program sends each run out of
    /// that interface. Resolves the ifindex in the calling thread's network namespace.
    /// </summary>
    public static void TestRunLiveFrames(int progFd, int ifindex, ReadOnlySpan<byte> frame, int repeat, int batchSize)
    {
        var ctx = stackalloc uint[6];
        new Span<uint>(ctx, 6).Clear();
        ctx[1] = (uint)frame.Length;
        ctx[3] = (uint)ifindex;
        fixed (byte* data = frame)
        {
            var attr = stackalloc byte[AttrSize];
            new Span<byte>(attr, AttrSize).Clear();
            *(uint*)attr = (uint)progFd;
            *(uint*)(attr + 8) = (uint)frame.Length;
            *(ulong*)(attr + 16) = (ulong)data;
            *(uint*)(attr + 32) = (uint)repeat;
            *(uint*)(attr + 40) = 24;
            *(ulong*)(attr + 48) = (ulong)ctx;
            *(uint*)(attr + 64) = TestXdpLiveFrames;
            *(uint*)(attr + 72) = (uint)batchSize;
            Call(ProgTestRun, attr, "sending live frames (BPF_PROG_TEST_RUN)");
        }
    }
}
