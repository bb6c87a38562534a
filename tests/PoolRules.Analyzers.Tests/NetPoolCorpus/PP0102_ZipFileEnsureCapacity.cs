// Origin: dotnet/corefx a11f11a669865a07d8d6755a5ae3348c3a073e47 (https://github.com/dotnet/corefx/pull/37547)
// Bug: a ref-parameter grow helper returns the old array before renting the new one; if Rent throws, the caller's finally returns the old array a second time.
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.ZipFileEnsureCapacity;

public sealed class Buggy
{
    public static string NormalizeAll(string[] entries)
    {
        char[] buffer = ArrayPool<char>.Shared.Rent(260);
        try
        {
            string last = string.Empty;
            foreach (string entry in entries)
            {
                EnsureCapacity(ref buffer, entry.Length);
                entry.CopyTo(0, buffer, 0, entry.Length);
                for (int i = 0; i < entry.Length; i++)
                {
                    if (buffer[i] == '\\')
                    {
                        buffer[i] = '/';
                    }
                }

                last = new string(buffer, 0, entry.Length);
            }

            return last;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer); // expect: PP0102
        }
    }

    private static void EnsureCapacity(ref char[] buffer, int min)
    {
        if (buffer.Length < min)
        {
            int newCapacity = Math.Max(buffer.Length * 2, min);
            ArrayPool<char>.Shared.Return(buffer);
            buffer = ArrayPool<char>.Shared.Rent(newCapacity);
        }
    }
}

public sealed class Fixed
{
    public static string NormalizeAll(string[] entries)
    {
        char[] buffer = ArrayPool<char>.Shared.Rent(260);
        try
        {
            string last = string.Empty;
            foreach (string entry in entries)
            {
                EnsureCapacity(ref buffer, entry.Length);
                entry.CopyTo(0, buffer, 0, entry.Length);
                for (int i = 0; i < entry.Length; i++)
                {
                    if (buffer[i] == '\\')
                    {
                        buffer[i] = '/';
                    }
                }

                last = new string(buffer, 0, entry.Length);
            }

            return last;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private static void EnsureCapacity(ref char[] buffer, int min)
    {
        if (buffer.Length < min)
        {
            int newCapacity = Math.Max(buffer.Length * 2, min);
            // Rent first: if it throws, the caller still owns the old array and gives it back once.
            char[] old = buffer;
            buffer = ArrayPool<char>.Shared.Rent(newCapacity);
            ArrayPool<char>.Shared.Return(old);
        }
    }
}
