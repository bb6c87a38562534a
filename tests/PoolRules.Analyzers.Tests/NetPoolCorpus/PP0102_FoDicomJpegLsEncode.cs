// Origin: Efferent-Health/fo-dicom.Codecs e2608703887c3a07ee70456b5b9b38752dddc60b (https://github.com/Efferent-Health/fo-dicom.Codecs/pull/134, issue #133)
// Bug: the encoder returns its oversized work array inside the try as soon as it has copied the result out, and the finally returns the same array again.
#nullable enable
using System;
using System.Buffers;
using System.Collections.Generic;

namespace NetPoolCorpus.FoDicomJpegLsEncode;

public sealed class Buggy
{
    public static void EncodeFrames(IReadOnlyList<byte[]> frames, Func<byte[], byte[], int> encode, List<byte[]> output)
    {
        ArrayPool<byte> pool = ArrayPool<byte>.Shared;
        foreach (byte[] frame in frames)
        {
            byte[]? work = null;
            byte[]? exact = null;
            work = pool.Rent(frame.Length * 2);
            try
            {
                int size = encode(frame, work);
                exact = pool.Rent(size);
                Array.Copy(work, exact, size);
                pool.Return(work);

                output.Add(exact.AsSpan(0, size).ToArray());
            }
            finally
            {
                if (exact != null)
                {
                    pool.Return(exact);
                    exact = null;
                }

                if (work != null)
                {
                    pool.Return(work); // expect: PP0102
                    work = null;
                }
            }
        }
    }
}

public sealed class Fixed
{
    public static void EncodeFrames(IReadOnlyList<byte[]> frames, Func<byte[], byte[], int> encode, List<byte[]> output)
    {
        ArrayPool<byte> pool = ArrayPool<byte>.Shared;
        foreach (byte[] frame in frames)
        {
            byte[]? work = null;
            byte[]? exact = null;
            work = pool.Rent(frame.Length * 2);
            try
            {
                int size = encode(frame, work);
                exact = pool.Rent(size);
                Array.Copy(work, exact, size);

                output.Add(exact.AsSpan(0, size).ToArray());
            }
            finally
            {
                // The finally is the only give-back for both arrays.
                if (exact != null)
                {
                    pool.Return(exact);
                    exact = null;
                }

                if (work != null)
                {
                    pool.Return(work);
                    work = null;
                }
            }
        }
    }
}
