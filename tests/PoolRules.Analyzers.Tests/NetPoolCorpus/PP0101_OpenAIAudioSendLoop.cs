// Origin: openai/openai-dotnet c03dc6c65e237b374515600fb01cf7cf92e27732 (https://github.com/openai/openai-dotnet/pull/459, issue #319)
// Bug: an async send loop rents its read buffer inside the try, reads until end of stream, and the finally only resets the busy flag: the buffer never goes back.
#nullable enable
using System;
using System.Buffers;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace NetPoolCorpus.OpenAIAudioSendLoop;

public sealed class Buggy
{
    private bool _sending;

    public async Task SendAsync(Stream audio, Func<ReadOnlyMemory<byte>, Task> send, CancellationToken cancellationToken)
    {
        _sending = true;
        try
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024); // expect: PP0101
            while (true)
            {
                int read = await audio.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                await send(buffer.AsMemory(0, read)).ConfigureAwait(false);
            }
        }
        finally
        {
            _sending = false;
        }
    }

    public bool IsSending => _sending;
}

public sealed class Fixed
{
    private bool _sending;

    public async Task SendAsync(Stream audio, Func<ReadOnlyMemory<byte>, Task> send, CancellationToken cancellationToken)
    {
        _sending = true;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                int read = await audio.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                // Awaited inside the try: no send still holds the buffer when the finally gives it back.
                await send(buffer.AsMemory(0, read)).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _sending = false;
        }
    }

    public bool IsSending => _sending;
}
