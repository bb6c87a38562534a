// Origin: modernuo/ModernUO b9d63e4160c6a8806896e9dcd02121309d2162c1 (https://github.com/modernuo/ModernUO/pull/1969)
// Bug: Reset returns the pooled char array without clearing the field, and Dispose (and the finalizer) return the same field again, so one array is pooled twice.
// Pool in the original: STArrayPool<char>.Shared, the project's own ArrayPool<char> subclass.
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.ModernUOPropertyListReset;

public sealed class Buggy : IDisposable
{
    private char[]? _arrayToReturnToPool = ArrayPool<char>.Shared.Rent(256);
    private int _pos;

    public void Add(char c)
    {
        _arrayToReturnToPool![_pos++] = c;
    }

    public void Reset()
    {
        _pos = 0;
        ArrayPool<char>.Shared.Return(_arrayToReturnToPool!); // expect: PP0105
    }

    public void Dispose()
    {
        ArrayPool<char>.Shared.Return(_arrayToReturnToPool!);
        _arrayToReturnToPool = null;
    }

    ~Buggy()
    {
        ArrayPool<char>.Shared.Return(_arrayToReturnToPool!);
        _arrayToReturnToPool = null;
    }
}

public sealed class Fixed : IDisposable
{
    private char[]? _arrayToReturnToPool = ArrayPool<char>.Shared.Rent(256);
    private int _pos;

    public void Add(char c)
    {
        _arrayToReturnToPool![_pos++] = c;
    }

    public void Reset()
    {
        _pos = 0;
        Dispose();
    }

    public void Dispose()
    {
        if (_arrayToReturnToPool != null)
        {
            ArrayPool<char>.Shared.Return(_arrayToReturnToPool);
            _arrayToReturnToPool = null;
        }
    }

    ~Fixed()
    {
        if (_arrayToReturnToPool != null)
        {
            ArrayPool<char>.Shared.Return(_arrayToReturnToPool);
            _arrayToReturnToPool = null;
        }
    }
}
