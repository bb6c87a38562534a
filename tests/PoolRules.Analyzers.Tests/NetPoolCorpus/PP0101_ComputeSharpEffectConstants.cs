// Origin: Sergio0694/ComputeSharp 10406e08708fb440e15e635674e049a81dce1093 (https://github.com/Sergio0694/ComputeSharp/pull/564)
// Bug: a scratch array for the shader's constant buffer is rented, filled and read, and the method returns without giving it back.
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.ComputeSharpEffectConstants;

public delegate int ReadConstants(Span<byte> destination);

public sealed class Buggy
{
    public static long LoadConstants(ReadConstants readConstants, int constantBufferSize)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(constantBufferSize); // expect: PP0101
        int written = readConstants(buffer.AsSpan(0, constantBufferSize));
        long checksum = 0;
        foreach (byte b in buffer.AsSpan(0, written))
        {
            checksum += b;
        }

        return checksum;
    }
}

public sealed class Fixed
{
    public static long LoadConstants(ReadConstants readConstants, int constantBufferSize)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(constantBufferSize);
        int written = readConstants(buffer.AsSpan(0, constantBufferSize));
        long checksum = 0;
        foreach (byte b in buffer.AsSpan(0, written))
        {
            checksum += b;
        }

        ArrayPool<byte>.Shared.Return(buffer);
        return checksum;
    }
}
