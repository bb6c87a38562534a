// Origin: Efferent-Health/fo-dicom.Codecs 56a2da0155fa5c1123761b6c0520279baa811183 ("Copy the encoded/decoded frame out of the pooled array")
// Bug: the codec wraps the rented array itself in the buffer it stores in the dataset, then returns that array in its finally; the next renter overwrites the stored frame.
#nullable enable
using System;
using System.Buffers;
using System.Collections.Generic;

namespace NetPoolCorpus.FoDicomFrameHandedToDataset;

public sealed class Buggy
{
    private readonly List<ArraySegment<byte>> _frames = new();

    public void AddEncodedFrame(byte[] raw, Func<byte[], byte[], int> encode)
    {
        byte[] encoded = ArrayPool<byte>.Shared.Rent(raw.Length * 2);
        try
        {
            int size = encode(raw, encoded);
            _frames.Add(new ArraySegment<byte>(encoded, 0, size)); // expect: PP0103
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(encoded);
        }
    }

    public int FrameCount => _frames.Count;
}

public sealed class Fixed
{
    private readonly List<ArraySegment<byte>> _frames = new();

    public void AddEncodedFrame(byte[] raw, Func<byte[], byte[], int> encode)
    {
        byte[] encoded = ArrayPool<byte>.Shared.Rent(raw.Length * 2);
        try
        {
            int size = encode(raw, encoded);
            // Copy the frame out at its exact size; only the copy outlives the rental.
            var frame = new byte[size];
            Buffer.BlockCopy(encoded, 0, frame, 0, size);
            _frames.Add(new ArraySegment<byte>(frame));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(encoded);
        }
    }

    public int FrameCount => _frames.Count;
}
