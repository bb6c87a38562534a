using System;
using System.Buffers.Binary;
using PoolRules.Runtime;

namespace PoolRules.Benchmarks.DriverThroughput;

/// <summary>
/// What both drivers share: the RX ring's shape and the frames the device writes; the verdicts come from the
/// RxDriver sample's own XDP program (linked in: 70% drop, 15% pass, 10% XDP_TX, 5% redirect).
/// </summary>
internal static class RxModel
{
    public const int RingSize = 256;
    public const int RingMask = RingSize - 1;
    public const int Headroom = 256;
    public const int FrameLength = 64;
    public const int BufferLength = PageAllocator.PageSize;

    /// <summary>The NAPI budget: frames per poll, after which the stack and TX completion catch up.</summary>
    public const int Budget = 64;

    /// <summary>The device's DMA of one frame: a sequence number and its complement, as the sample NIC writes.</summary>
    public static void Write(Span<byte> frame, long seq)
    {
        BinaryPrimitives.WriteInt64LittleEndian(frame, seq);
        BinaryPrimitives.WriteInt64LittleEndian(frame[8..], ~seq);
    }
}
