// Origin: dotnet/coreclr https://github.com/dotnet/coreclr/pull/15104 (merged with #15105; mirrored into corefx as 700ac4efe463880561f52f43fd09b088df7d6b0d)
// Bug: when growing, the builder stores the new array in its fields and then returns the field's value, i.e. the new array it keeps writing into, instead of the old one.
// The original is a ref struct over Span<char>; here a class over char[].
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.ValueStringBuilderGrowWrongArray;

public sealed class Buggy : IDisposable
{
    private char[]? _arrayToReturnToPool;
    private char[] _chars = new char[16];
    private int _pos;

    public void Append(char c)
    {
        if (_pos == _chars.Length)
        {
            Grow();
        }

        _chars[_pos++] = c;
    }

    private void Grow()
    {
        char[] poolArray = ArrayPool<char>.Shared.Rent(_chars.Length * 2);
        _chars.AsSpan(0, _pos).CopyTo(poolArray);

        char[]? toReturn = _arrayToReturnToPool;
        _chars = _arrayToReturnToPool = poolArray;
        if (toReturn != null)
        {
            ArrayPool<char>.Shared.Return(_arrayToReturnToPool); // expect: PP0103
        }
    }

    public override string ToString() => new string(_chars, 0, _pos);

    public void Dispose()
    {
        char[]? toReturn = _arrayToReturnToPool;
        _arrayToReturnToPool = null;
        if (toReturn != null)
        {
            ArrayPool<char>.Shared.Return(toReturn);
        }
    }
}

public sealed class Fixed : IDisposable
{
    private char[]? _arrayToReturnToPool;
    private char[] _chars = new char[16];
    private int _pos;

    public void Append(char c)
    {
        if (_pos == _chars.Length)
        {
            Grow();
        }

        _chars[_pos++] = c;
    }

    private void Grow()
    {
        char[] poolArray = ArrayPool<char>.Shared.Rent(_chars.Length * 2);
        _chars.AsSpan(0, _pos).CopyTo(poolArray);

        char[]? toReturn = _arrayToReturnToPool;
        _chars = _arrayToReturnToPool = poolArray;
        if (toReturn != null)
        {
            ArrayPool<char>.Shared.Return(toReturn);
        }
    }

    public override string ToString() => new string(_chars, 0, _pos);

    public void Dispose()
    {
        char[]? toReturn = _arrayToReturnToPool;
        _arrayToReturnToPool = null;
        if (toReturn != null)
        {
            ArrayPool<char>.Shared.Return(toReturn);
        }
    }
}
