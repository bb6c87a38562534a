// Origin: dotnet/corefx 64609475281f2be05a0b9ca5b7bbdaf43b12dc55 (https://github.com/dotnet/corefx/pull/37155, CngPkcs8 export)
// Bug: the export retry loop returns the too-small array and then computes the doubled size with checked arithmetic and rents; a throw there leaves the variable on the returned array, which the finally returns again.
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.CngPkcs8ExportGrowth;

public delegate bool TryExport(Span<byte> destination, out int written);

public sealed class Buggy
{
    public static byte[] Export(TryExport tryExport, int initialSize)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(initialSize);
        int written = 0;
        try
        {
            while (!tryExport(rented, out written))
            {
                int size = rented.Length;
                ArrayPool<byte>.Shared.Return(rented);
                rented = ArrayPool<byte>.Shared.Rent(checked(size * 2));
            }

            return rented.AsSpan(0, written).ToArray();
        }
        finally
        {
            rented.AsSpan(0, written).Clear();
            ArrayPool<byte>.Shared.Return(rented); // expect: PP0102
        }
    }
}

public sealed class Fixed
{
    public static byte[] Export(TryExport tryExport, int initialSize)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(initialSize);
        int written = 0;
        try
        {
            while (!tryExport(rented, out written))
            {
                int size = rented.Length;
                byte[] current = rented;
                rented = ArrayPool<byte>.Shared.Rent(checked(size * 2));
                ArrayPool<byte>.Shared.Return(current);
            }

            return rented.AsSpan(0, written).ToArray();
        }
        finally
        {
            rented.AsSpan(0, written).Clear();
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
