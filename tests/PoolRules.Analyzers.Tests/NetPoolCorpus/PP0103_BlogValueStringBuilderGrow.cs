// Origin: linkdotnet/BlogExamples 8a6769ccdc62abbeecb2228012fbb5dc93fcb0a5 (issue https://github.com/linkdotnet/BlogExamples/issues/3)
// Bug: Grow rents a bigger array, points the builder's buffer at it, and returns it to the pool straight away; every later append writes into a returned array.
// The original is a ref struct with a Span<char> field; here a class with a Memory<char> field (the same derived view).
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.BlogValueStringBuilderGrow;

public sealed class Buggy
{
    private Memory<char> _buffer = new char[32];
    private int _position;

    public void Append(string text)
    {
        if (_position + text.Length > _buffer.Length)
        {
            Grow(_position + text.Length);
        }

        text.AsSpan().CopyTo(_buffer.Span.Slice(_position));
        _position += text.Length;
    }

    private void Grow(int capacity)
    {
        char[] rented = ArrayPool<char>.Shared.Rent(Math.Max(capacity, _buffer.Length * 2));
        _buffer.Span.CopyTo(rented);
        _buffer = rented;
        ArrayPool<char>.Shared.Return(rented); // expect: PP0103
    }

    public override string ToString() => new string(_buffer.Span.Slice(0, _position));
}

public sealed class Fixed : IDisposable
{
    private Memory<char> _buffer = new char[32];
    private char[]? _arrayFromPool;
    private int _position;

    public void Append(string text)
    {
        if (_position + text.Length > _buffer.Length)
        {
            Grow(_position + text.Length);
        }

        text.AsSpan().CopyTo(_buffer.Span.Slice(_position));
        _position += text.Length;
    }

    private void Grow(int capacity)
    {
        char[] rented = ArrayPool<char>.Shared.Rent(Math.Max(capacity, _buffer.Length * 2));
        _buffer.Span.CopyTo(rented);
        char[]? old = _arrayFromPool;
        _buffer = _arrayFromPool = rented;
        // Only the array the builder no longer uses goes back; the current one goes back in Dispose.
        if (old is not null)
        {
            ArrayPool<char>.Shared.Return(old);
        }
    }

    public override string ToString() => new string(_buffer.Span.Slice(0, _position));

    public void Dispose()
    {
        char[]? toReturn = _arrayFromPool;
        _arrayFromPool = null;
        _buffer = default;
        if (toReturn is not null)
        {
            ArrayPool<char>.Shared.Return(toReturn);
        }
    }
}
