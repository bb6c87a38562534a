// Origin: adamhathcock/sharpcompress 875c2d76943dd5ca2d14c13d2b787fe1edb104b6 (https://github.com/adamhathcock/sharpcompress/pull/1161)
// Bug: the sub-stream's Dispose(bool) gives its read cache back to the shared pool on every call and keeps the field pointing at it, so disposing the stream twice pools one array twice.
#nullable enable
using System;
using System.Buffers;
using System.IO;

namespace NetPoolCorpus.SharpCompressBufferedSubStreamDispose;

public sealed class Buggy : Stream
{
    private readonly Stream _inner;
    private readonly byte[] _cache = ArrayPool<byte>.Shared.Rent(81920);
    private int _cacheOffset;
    private int _cacheLength;

    public Buggy(Stream inner) => _inner = inner;

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_cacheOffset == _cacheLength)
        {
            _cacheLength = _inner.Read(_cache, 0, _cache.Length);
            _cacheOffset = 0;
        }

        count = Math.Min(count, _cacheLength - _cacheOffset);
        Buffer.BlockCopy(_cache, _cacheOffset, buffer, offset, count);
        _cacheOffset += count;
        return count;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ArrayPool<byte>.Shared.Return(_cache); // expect: PP0105
        }

        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

public sealed class Fixed : Stream
{
    private readonly Stream _inner;
    private byte[]? _cache = ArrayPool<byte>.Shared.Rent(81920);
    private int _cacheOffset;
    private int _cacheLength;
    private bool _isDisposed;

    public Fixed(Stream inner) => _inner = inner;

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_cacheOffset == _cacheLength)
        {
            _cacheLength = _inner.Read(_cache!, 0, _cache!.Length);
            _cacheOffset = 0;
        }

        count = Math.Min(count, _cacheLength - _cacheOffset);
        Buffer.BlockCopy(_cache!, _cacheOffset, buffer, offset, count);
        _cacheOffset += count;
        return count;
    }

    protected override void Dispose(bool disposing)
    {
        // Both the flag and the cleared field stop a second Dispose from pooling the cache again.
        if (_isDisposed)
        {
            return;
        }

        _isDisposed = true;

        if (disposing && _cache is not null)
        {
            ArrayPool<byte>.Shared.Return(_cache);
            _cache = null;
        }

        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
