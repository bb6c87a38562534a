using System;
using System.Buffers.Binary;
using PoolRules.Runtime;

namespace PoolRules.Samples.RxDriver;

/// <summary>
/// The attached XDP program: reads the frame in place and picks a verdict. Its mix (most frames dropped, some
/// passed to the stack, some bounced back out, a few redirected to another queue) exercises every way a page
/// leaves a NAPI poll.
/// </summary>
internal static class XdpProgram
{
    public static XdpAction Run(ReadOnlySpan<byte> frame)
    {
        var seq = BinaryPrimitives.ReadInt64LittleEndian(frame);
        if (BinaryPrimitives.ReadInt64LittleEndian(frame[8..]) != ~seq)
        {
            return XdpAction.Aborted;
        }

        return (seq % 20) switch
        {
            < 14 => XdpAction.Drop,
            < 17 => XdpAction.Pass,
            < 19 => XdpAction.Tx,
            _ => XdpAction.Redirect,
        };
    }
}
