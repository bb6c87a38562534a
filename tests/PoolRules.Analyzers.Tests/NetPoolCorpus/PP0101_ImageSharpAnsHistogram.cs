// Origin: SixLabors/ImageSharp 1381def54af7d0c40eb4855a15fc4e86c8db13cf ("Fix memory leaks", JxlAnsReader)
// Bug: a histogram owner is allocated, and the corrupt-data branches return null without disposing it (a normal return, not an exception).
// Pool in the original: ImageSharp's MemoryAllocator.Allocate (IMemoryOwner<uint>), modelled here with MemoryPool<uint>.
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.ImageSharpAnsHistogram;

public sealed class Buggy
{
    public static IMemoryOwner<uint>? ReadCounts(ReadOnlySpan<byte> logCounts, int length)
    {
        IMemoryOwner<uint> counts = MemoryPool<uint>.Shared.Rent(length); // expect: PP0101
        Span<uint> span = counts.Memory.Span.Slice(0, length);
        int omitted = -1;
        for (int i = 0; i < length; i++)
        {
            if (logCounts[i] == 0xFF)
            {
                omitted = i;
            }

            span[i] = logCounts[i];
        }

        if (omitted < 0)
        {
            // corrupt histogram
            return null;
        }

        if (span[omitted] == 0)
        {
            // corrupt count
            return null;
        }

        return counts;
    }
}

public sealed class Fixed
{
    public static IMemoryOwner<uint>? ReadCounts(ReadOnlySpan<byte> logCounts, int length)
    {
        IMemoryOwner<uint> counts = MemoryPool<uint>.Shared.Rent(length);
        Span<uint> span = counts.Memory.Span.Slice(0, length);
        int omitted = -1;
        for (int i = 0; i < length; i++)
        {
            if (logCounts[i] == 0xFF)
            {
                omitted = i;
            }

            span[i] = logCounts[i];
        }

        if (omitted < 0)
        {
            counts.Dispose();
            return null;
        }

        if (span[omitted] == 0)
        {
            counts.Dispose();
            return null;
        }

        // Ownership moves to the caller.
        return counts;
    }
}
