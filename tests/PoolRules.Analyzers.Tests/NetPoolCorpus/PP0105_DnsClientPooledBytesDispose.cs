// Origin: MichaCo/DnsClient.NET 5704bbaa4998b850f4d58a2fde3c05809411cb01 (https://github.com/MichaCo/DnsClient.NET/pull/25)
// Bug: Dispose(bool) sets a disposed flag but never checks it, so a second Dispose returns the same pooled buffer again and two later renters share it.
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.DnsClientPooledBytesDispose;

public sealed class Buggy : IDisposable
{
    private static readonly ArrayPool<byte> s_pool = ArrayPool<byte>.Create(4096, 64);
    private readonly byte[] _buffer;
    private bool _disposed;

    public Buggy(int length)
    {
        _buffer = s_pool.Rent(length);
    }

    public ArraySegment<byte> Buffer => new ArraySegment<byte>(_buffer);

    public bool IsDisposed => _disposed;

    public void Dispose()
    {
        Dispose(true);
    }

    private void Dispose(bool disposing)
    {
        if (disposing)
        {
            _disposed = true;
            s_pool.Return(_buffer); // expect: PP0105
        }
    }
}

public sealed class Fixed : IDisposable
{
    private static readonly ArrayPool<byte> s_pool = ArrayPool<byte>.Create(4096, 64);
    private readonly byte[] _buffer;
    private bool _disposed;

    public Fixed(int length)
    {
        _buffer = s_pool.Rent(length);
    }

    public ArraySegment<byte> Buffer => new ArraySegment<byte>(_buffer);

    public bool IsDisposed => _disposed;

    public void Dispose()
    {
        Dispose(true);
    }

    private void Dispose(bool disposing)
    {
        if (disposing)
        {
            // The guard is checked on entry and set, so a second call gives nothing back.
            if (_disposed)
            {
                return;
            }

            s_pool.Return(_buffer);
            _disposed = true;
        }
    }
}
