// Origin: SixLabors/ImageSharp f15b336f862360a61a3ee96c8f2e499662e8ff2a ("Fix issue disposing tmp buffer too early", YCbCrTiffColor)
// Bug: a `using` owner declared inside the if-block is disposed at the end of that block, while the span taken from it was assigned to an outer variable that the decode loop reads afterwards.
// Pool in the original: ImageSharp's MemoryAllocator.Allocate (IMemoryOwner<byte>), modelled here with MemoryPool<byte>.
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.ImageSharpYCbCrScopedOwner;

public sealed class Buggy
{
    public static int Decode(ReadOnlySpan<byte> data, bool subsampled, Span<int> pixels)
    {
        ReadOnlySpan<byte> ycbcr = data;
        if (subsampled)
        {
            using IMemoryOwner<byte> tmp = MemoryPool<byte>.Shared.Rent(pixels.Length * 3);
            Span<byte> upsampled = tmp.Memory.Span.Slice(0, pixels.Length * 3);
            Upsample(data, upsampled);
            ycbcr = upsampled;
        }

        int sum = 0;
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = ycbcr[3 * i] + ycbcr[3 * i + 1] + ycbcr[3 * i + 2]; // expect: PP0103
            sum += pixels[i];
        }

        return sum;
    }

    private static void Upsample(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = source.Length == 0 ? (byte)0 : source[i % source.Length];
        }
    }
}

public sealed class Fixed
{
    public static int Decode(ReadOnlySpan<byte> data, bool subsampled, Span<int> pixels)
    {
        if (subsampled)
        {
            using IMemoryOwner<byte> tmp = MemoryPool<byte>.Shared.Rent(pixels.Length * 3);
            Span<byte> upsampled = tmp.Memory.Span.Slice(0, pixels.Length * 3);
            Upsample(data, upsampled);
            // Decode while the owner is still alive.
            return DecodeCore(upsampled, pixels);
        }

        return DecodeCore(data, pixels);
    }

    private static int DecodeCore(ReadOnlySpan<byte> ycbcr, Span<int> pixels)
    {
        int sum = 0;
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = ycbcr[3 * i] + ycbcr[3 * i + 1] + ycbcr[3 * i + 2];
            sum += pixels[i];
        }

        return sum;
    }

    private static void Upsample(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = source.Length == 0 ? (byte)0 : source[i % source.Length];
        }
    }
}
