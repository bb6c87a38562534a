// Origin: jtmueller/Collections.Pooled 9f9b1a05421c284cb1cd67b06cd1d0bcd2c7a1f2 (follow-up to https://github.com/jtmueller/Collections.Pooled/pull/22)
// Bug: after custom ArrayPool support was added, PooledQueue (and PooledStack) still returned their array to the static shared pool on .NET Core, though it was rented from the instance's own pool.
#nullable enable
using System;
using System.Buffers;

namespace NetPoolCorpus.PooledQueueCustomPool;

public sealed class Buggy : IDisposable
{
    private static readonly ArrayPool<int> s_pool = ArrayPool<int>.Shared;
    private readonly ArrayPool<int> _pool;
    private int[] _array;
    private int _size;

    public Buggy(int capacity, ArrayPool<int>? customPool = null)
    {
        _pool = customPool ?? ArrayPool<int>.Shared;
        _array = _pool.Rent(capacity);
    }

    public void Enqueue(int item)
    {
        if (_size == _array.Length)
        {
            int[] grown = _pool.Rent(_array.Length * 2);
            Array.Copy(_array, grown, _size);
            ReturnArray(replaceWith: grown);
        }

        _array[_size++] = item;
    }

    private void ReturnArray(int[] replaceWith)
    {
        if (_array.Length > 0)
        {
            try
            {
                s_pool.Return(_array); // expect: PP0104
            }
            catch (ArgumentException)
            {
                // the pool refused the array; let the GC have it
            }
        }

        _array = replaceWith;
    }

    public void Dispose()
    {
        ReturnArray(replaceWith: Array.Empty<int>());
        _size = 0;
    }
}

public sealed class Fixed : IDisposable
{
    private readonly ArrayPool<int> _pool;
    private int[] _array;
    private int _size;

    public Fixed(int capacity, ArrayPool<int>? customPool = null)
    {
        _pool = customPool ?? ArrayPool<int>.Shared;
        _array = _pool.Rent(capacity);
    }

    public void Enqueue(int item)
    {
        if (_size == _array.Length)
        {
            int[] grown = _pool.Rent(_array.Length * 2);
            Array.Copy(_array, grown, _size);
            ReturnArray(replaceWith: grown);
        }

        _array[_size++] = item;
    }

    private void ReturnArray(int[] replaceWith)
    {
        if (_array.Length > 0)
        {
            try
            {
                // Back to the pool it was rented from.
                _pool.Return(_array);
            }
            catch (ArgumentException)
            {
                // the pool refused the array; let the GC have it
            }
        }

        _array = replaceWith;
    }

    public void Dispose()
    {
        ReturnArray(replaceWith: Array.Empty<int>());
        _size = 0;
    }
}
