// Origin: justcoding121/titanium-web-proxy 74207225ef1c7381362e2143b6d74970030b9e92 (https://github.com/justcoding121/titanium-web-proxy/pull/546)
// Bug: a non-async method returns the stream's WriteAsync task from inside a try whose finally gives the buffer back, so the write may still be reading the buffer after it is back in the pool.
// Pool in the original: the proxy's own IBufferPool (GetBuffer/ReturnBuffer), modelled here with ArrayPool<byte>.
#nullable enable
using System;
using System.Buffers;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace NetPoolCorpus.TitaniumWriteTaskEscapes;

public sealed class Buggy
{
    private readonly Stream _stream;

    public Buggy(Stream stream) => _stream = stream;

    public Task WriteLineAsync(string value, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(value.Length) + 2);
        try
        {
            int length = Encoding.UTF8.GetBytes(value, 0, value.Length, buffer, 0);
            buffer[length++] = (byte)'\r';
            buffer[length++] = (byte)'\n';
            return _stream.WriteAsync(buffer, 0, length, cancellationToken); // expect: PP0103
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

public sealed class Fixed
{
    private readonly Stream _stream;

    public Fixed(Stream stream) => _stream = stream;

    public async Task WriteLineAsync(string value, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(value.Length) + 2);
        try
        {
            int length = Encoding.UTF8.GetBytes(value, 0, value.Length, buffer, 0);
            buffer[length++] = (byte)'\r';
            buffer[length++] = (byte)'\n';
            // Awaiting keeps the finally from running until the write is done with the buffer.
            await _stream.WriteAsync(buffer, 0, length, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
