// Origin: oleg-st/ZstdSharp 783f46efc6dc88c31cc17511fb11174daa685a54 (https://github.com/oleg-st/ZstdSharp/pull/9, issue #8)
// Bug: Dispose uses "decompressor == null" as its guard but clears the decompressor only when it does not preserve it, so with preservation on every Dispose returns the input buffer again.
#nullable enable
using System;
using System.Buffers;
using System.IO;

namespace NetPoolCorpus.ZstdSharpStreamDispose;

public sealed class Buggy : IDisposable
{
    private readonly byte[] _inputBuffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
    private readonly bool _preserveDecompressor;
    private IDisposable? _decompressor;

    public Buggy(IDisposable decompressor, bool preserveDecompressor)
    {
        _decompressor = decompressor;
        _preserveDecompressor = preserveDecompressor;
    }

    public int Capacity => _inputBuffer.Length;

    public void Dispose()
    {
        if (_decompressor == null)
        {
            return;
        }

        if (!_preserveDecompressor)
        {
            _decompressor.Dispose();
            _decompressor = null;
        }

        ArrayPool<byte>.Shared.Return(_inputBuffer); // expect: PP0105
    }

    public static Buggy Over(Stream inner, bool preserve) => new Buggy(inner, preserve);
}

public sealed class Fixed : IDisposable
{
    private readonly byte[] _inputBuffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
    private readonly bool _preserveDecompressor;
    private IDisposable? _decompressor;

    public Fixed(IDisposable decompressor, bool preserveDecompressor)
    {
        _decompressor = decompressor;
        _preserveDecompressor = preserveDecompressor;
    }

    public int Capacity => _inputBuffer.Length;

    public void Dispose()
    {
        if (_decompressor == null)
        {
            return;
        }

        if (!_preserveDecompressor)
        {
            _decompressor.Dispose();
        }

        // The guard is set on every path, preserved decompressor or not.
        _decompressor = null;

        ArrayPool<byte>.Shared.Return(_inputBuffer);
    }

    public static Fixed Over(Stream inner, bool preserve) => new Fixed(inner, preserve);
}
