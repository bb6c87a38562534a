// Origin: mgravell/Pipelines.Sockets.Unofficial 7a65250412e562fb0b7b212089477395bc3c5ea4 (https://github.com/mgravell/Pipelines.Sockets.Unofficial/pull/76)
// Bug: a ref-counted segment clears its Memory field before calling the release routine that looks the pooled array up through that field, so nothing is returned.
#nullable enable
using System;
using System.Buffers;
using System.Runtime.InteropServices;

namespace NetPoolCorpus.PipelinesSegmentRelease;

public sealed class Buggy
{
    private readonly ArrayPool<byte> _pool;
    private Memory<byte> _memory;
    private int _refCount = 1;

    public Buggy(ArrayPool<byte> pool, int size)
    {
        _pool = pool;
        _memory = pool.Rent(size);
    }

    public void Release()
    {
        if (--_refCount == 0)
        {
            _memory = default; // expect: PP0101
            ReleaseImpl();
        }
    }

    private void ReleaseImpl()
    {
        if (MemoryMarshal.TryGetArray<byte>(_memory, out var segment) && segment.Array is { } array)
        {
            _pool.Return(array);
        }
    }
}

public sealed class Fixed
{
    private readonly ArrayPool<byte> _pool;
    private Memory<byte> _memory;
    private int _refCount = 1;

    public Fixed(ArrayPool<byte> pool, int size)
    {
        _pool = pool;
        _memory = pool.Rent(size);
    }

    public void Release()
    {
        if (--_refCount == 0)
        {
            // Give back first, then forget: the release routine finds the array through the field.
            ReleaseImpl();
            _memory = default;
        }
    }

    private void ReleaseImpl()
    {
        if (MemoryMarshal.TryGetArray<byte>(_memory, out var segment) && segment.Array is { } array)
        {
            _pool.Return(array);
        }
    }
}
