// Origin: Cysharp/MagicOnion 8179ca5a5ca119da74c987a03d9b3ddf6417a50f (https://github.com/Cysharp/MagicOnion/pull/537, issue #535)
// Bug: the blit deserializer rents a scratch array only on some branches (byte-order swap, multi-segment input) and never returns it.
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.MagicOnionBlitDeserialize;

public sealed class Buggy
{
    public static int[] Decode(ReadOnlySequence<byte> payload, bool swapBytes)
    {
        byte[]? scratch = null;
        ReadOnlySpan<byte> bytes;
        if (swapBytes)
        {
            scratch = ArrayPool<byte>.Shared.Rent((int)payload.Length); // expect: PP0101
            payload.CopyTo(scratch);
            Array.Reverse(scratch, 0, (int)payload.Length);
            bytes = scratch.AsSpan(0, (int)payload.Length);
        }
        else if (payload.IsSingleSegment)
        {
            bytes = payload.First.Span;
        }
        else
        {
            scratch = ArrayPool<byte>.Shared.Rent((int)payload.Length); // expect: PP0101
            payload.CopyTo(scratch);
            bytes = scratch.AsSpan(0, (int)payload.Length);
        }

        var result = new int[bytes.Length / sizeof(int)];
        bytes.Slice(0, result.Length * sizeof(int)).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }
}

public sealed class Fixed
{
    public static int[] Decode(ReadOnlySequence<byte> payload, bool swapBytes)
    {
        byte[]? scratch = null;
        try
        {
            ReadOnlySpan<byte> bytes;
            if (swapBytes)
            {
                scratch = ArrayPool<byte>.Shared.Rent((int)payload.Length);
                payload.CopyTo(scratch);
                Array.Reverse(scratch, 0, (int)payload.Length);
                bytes = scratch.AsSpan(0, (int)payload.Length);
            }
            else if (payload.IsSingleSegment)
            {
                bytes = payload.First.Span;
            }
            else
            {
                scratch = ArrayPool<byte>.Shared.Rent((int)payload.Length);
                payload.CopyTo(scratch);
                bytes = scratch.AsSpan(0, (int)payload.Length);
            }

            var result = new int[bytes.Length / sizeof(int)];
            bytes.Slice(0, result.Length * sizeof(int)).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(result.AsSpan()));
            return result;
        }
        finally
        {
            // The rental is conditional: only give back what was actually taken.
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
    }
}
