using System;

namespace PoolRules.Xdp;

/// <summary>
/// A traffic source without native tools: BPF_PROG_TEST_RUN with live frames runs an XDP_TX program over a frame as if
/// it had arrived on <c>ingress</c>, and each run transmits the frame out of that interface (to its veth peer).
/// The frame lands on the peer's RX queue (sending CPU mod queue count), so pin the sending thread to pick the queue.
/// Create it and call <see cref="Send"/> in the interface's network namespace.
/// </summary>
public sealed class LiveFrameSource : IDisposable
{
    private int _progFd;

    /// <summary>Loads the XDP_TX program for sending out of <paramref name="ingress"/>.</summary>
    public LiveFrameSource(LinkInfo ingress)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        Ingress = ingress;
        _progFd = Bpf.LoadConstantProgram(Bpf.XdpTx, ingress.Name);
    }

    /// <summary>The interface the frames go out of.</summary>
    public LinkInfo Ingress { get; }

    /// <summary>Sends <paramref name="frame"/> <paramref name="repeat"/> times (the kernel batches up to <paramref name="batchSize"/>).</summary>
    public void Send(ReadOnlySpan<byte> frame, int repeat, int batchSize = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeat, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(frame.Length, 14);
        ObjectDisposedException.ThrowIf(_progFd < 0, this);
        Bpf.TestRunLiveFrames(_progFd, Ingress.Index, frame, repeat, batchSize);
    }

    /// <summary>Unloads the program.</summary>
    public void Dispose() => Libc.CloseQuietly(ref _progFd);
}
