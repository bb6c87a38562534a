using System;
using System.Collections.Generic;
using System.Threading;
using PoolRules.Samples.RxDriver;

namespace PoolRules.Xdp.Tests;

/// <summary>
/// An AF_PACKET socket on the peer (veth0) that collects the sample frames arriving there: what the driver forwarded.
/// Frames leaving veth0 through XDP (the live-frames source) bypass packet taps, so only arrivals are seen.
/// </summary>
internal sealed unsafe class PeerCapture : IDisposable
{
    private const ushort EthPAllBigEndian = 0x0300;

    private readonly Thread _thread;
    private readonly List<(long Seq, byte[] Dst, byte[] Src)> _frames = new();
    private int _fd;
    private volatile bool _stop;

    public PeerCapture(VethLab lab)
    {
        _fd = lab.Ns.Run(() =>
        {
            var fd = Libc.socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, EthPAllBigEndian);
            if (fd < 0)
            {
                throw XdpException.FromErrno("opening the capture socket", "socket(AF_PACKET)", Libc.Errno, VethLab.Peer);
            }

            var addr = stackalloc byte[20];
            new Span<byte>(addr, 20).Clear();
            *(ushort*)addr = Libc.AF_PACKET;
            *(ushort*)(addr + 2) = EthPAllBigEndian;
            *(int*)(addr + 4) = lab.PeerLink.Index;
            var timeout = stackalloc long[2] { 0, 100_000 };
            var rcvbuf = 8 << 20;
            if (Libc.bind(fd, addr, 20) < 0
                || Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, timeout, 16) < 0
                || Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, &rcvbuf, 4) < 0)
            {
                var errno = Libc.Errno;
                _ = Libc.close(fd);
                throw XdpException.FromErrno("setting up the capture socket", "bind/setsockopt(AF_PACKET)", errno, VethLab.Peer);
            }

            return fd;
        });
        _thread = new Thread(Run) { IsBackground = true, Name = "peer-capture" };
        _thread.Start();
    }

    public IReadOnlyList<(long Seq, byte[] Dst, byte[] Src)> Frames
    {
        get
        {
            lock (_frames)
            {
                return _frames.ToArray();
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_frames)
            {
                return _frames.Count;
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        Libc.CloseQuietly(ref _fd);
    }

    private void Run()
    {
        var buffer = new byte[2048];
        fixed (byte* b = buffer)
        {
            while (!_stop)
            {
                var n = (int)Libc.recv(_fd, b, (nuint)buffer.Length, 0);
                if (n > 0 && SampleFrames.TryRead(buffer.AsSpan(0, n), out var seq))
                {
                    lock (_frames)
                    {
                        _frames.Add((seq, buffer[..6], buffer[6..12]));
                    }
                }
            }
        }
    }
}
