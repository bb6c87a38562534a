// Origin: SixLabors/ImageSharp 07f6be0000d433846c53a9d34dbc8daca025aac1 ("Fix memory leak", JxlQuantizer)
// Bug: two scratch owners are allocated for the quantization field, and neither the early "return false" nor the final "return true" disposes them.
// Pool in the original: ImageSharp's MemoryAllocator.Allocate (IMemoryOwner<float>), modelled here with MemoryPool<float>.
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.ImageSharpQuantField;

public sealed class Buggy
{
    public static bool Compute(ReadOnlySpan<float> field, int expectedSize, Span<float> output)
    {
        IMemoryOwner<float> data = MemoryPool<float>.Shared.Rent(field.Length); // expect: PP0101
        Span<float> dataSpan = data.Memory.Span.Slice(0, field.Length);
        field.CopyTo(dataSpan);

        IMemoryOwner<float> deviations = MemoryPool<float>.Shared.Rent(dataSpan.Length); // expect: PP0101
        Span<float> deviationSpan = deviations.Memory.Span.Slice(0, dataSpan.Length);
        for (int i = 0; i < dataSpan.Length; i++)
        {
            deviationSpan[i] = MathF.Abs(dataSpan[i] - 1f);
        }

        if (output.Length != expectedSize)
        {
            return false;
        }

        deviationSpan.Slice(0, Math.Min(expectedSize, deviationSpan.Length)).CopyTo(output);
        return true;
    }
}

public sealed class Fixed
{
    public static bool Compute(ReadOnlySpan<float> field, int expectedSize, Span<float> output)
    {
        using IMemoryOwner<float> data = MemoryPool<float>.Shared.Rent(field.Length);
        Span<float> dataSpan = data.Memory.Span.Slice(0, field.Length);
        field.CopyTo(dataSpan);

        using IMemoryOwner<float> deviations = MemoryPool<float>.Shared.Rent(dataSpan.Length);
        Span<float> deviationSpan = deviations.Memory.Span.Slice(0, dataSpan.Length);
        for (int i = 0; i < dataSpan.Length; i++)
        {
            deviationSpan[i] = MathF.Abs(dataSpan[i] - 1f);
        }

        if (output.Length != expectedSize)
        {
            return false;
        }

        deviationSpan.Slice(0, Math.Min(expectedSize, deviationSpan.Length)).CopyTo(output);
        return true;
    }
}
