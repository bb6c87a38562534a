// Origin: Cysharp/ZString 7e2fefade477ee1f27c3c3ce03dbaeb5374c5cd7 (issue https://github.com/Cysharp/ZString/issues/36)
// Bug: Insert grows into a freshly rented array and overwrites the buffer field, dropping the previously rented array instead of returning it.
// The original is a struct; the field starts as a thread-static scratch array that must never be returned (hence the guard in the fix).
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.ZStringInsertGrow;

public sealed class Buggy : IDisposable
{
    [ThreadStatic] private static char[]? s_scratch;
    private char[] _buffer;
    private int _length;

    public Buggy()
    {
        _buffer = s_scratch ??= new char[64];
    }

    public void Append(char c)
    {
        if (_length == _buffer.Length)
        {
            char[] grown = ArrayPool<char>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _length).CopyTo(grown);
            if (!ReferenceEquals(_buffer, s_scratch))
            {
                ArrayPool<char>.Shared.Return(_buffer);
            }

            _buffer = grown;
        }

        _buffer[_length++] = c;
    }

    public void Insert(int index, string value)
    {
        char[] newBuffer = ArrayPool<char>.Shared.Rent(_length + value.Length);
        _buffer.AsSpan(0, index).CopyTo(newBuffer);
        value.AsSpan().CopyTo(newBuffer.AsSpan(index));
        _buffer.AsSpan(index, _length - index).CopyTo(newBuffer.AsSpan(index + value.Length));
        _buffer = newBuffer; // expect: PP0101
        _length += value.Length;
    }

    public override string ToString() => new string(_buffer, 0, _length);

    public void Dispose()
    {
        if (!ReferenceEquals(_buffer, s_scratch))
        {
            ArrayPool<char>.Shared.Return(_buffer);
        }

        _buffer = s_scratch ??= new char[64];
        _length = 0;
    }
}

public sealed class Fixed : IDisposable
{
    [ThreadStatic] private static char[]? s_scratch;
    private char[] _buffer;
    private int _length;

    public Fixed()
    {
        _buffer = s_scratch ??= new char[64];
    }

    public void Append(char c)
    {
        if (_length == _buffer.Length)
        {
            char[] grown = ArrayPool<char>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _length).CopyTo(grown);
            if (!ReferenceEquals(_buffer, s_scratch))
            {
                ArrayPool<char>.Shared.Return(_buffer);
            }

            _buffer = grown;
        }

        _buffer[_length++] = c;
    }

    public void Insert(int index, string value)
    {
        char[] newBuffer = ArrayPool<char>.Shared.Rent(_length + value.Length);
        _buffer.AsSpan(0, index).CopyTo(newBuffer);
        value.AsSpan().CopyTo(newBuffer.AsSpan(index));
        _buffer.AsSpan(index, _length - index).CopyTo(newBuffer.AsSpan(index + value.Length));

        // Give the old array back (unless it is the thread-static scratch, which never came from the pool).
        if (!ReferenceEquals(_buffer, s_scratch))
        {
            ArrayPool<char>.Shared.Return(_buffer);
        }

        _buffer = newBuffer;
        _length += value.Length;
    }

    public override string ToString() => new string(_buffer, 0, _length);

    public void Dispose()
    {
        if (!ReferenceEquals(_buffer, s_scratch))
        {
            ArrayPool<char>.Shared.Return(_buffer);
        }

        _buffer = s_scratch ??= new char[64];
        _length = 0;
    }
}
