using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PoolRules.Benchmarks.Analyzers;

/// <summary>
/// Generates a code base that uses .NET's own pools the way library code does, for the PP0101-PP0105 benchmark (issue
/// 13, "Performance"): <c>ArrayPool&lt;T&gt;</c> rentals given back in a <c>finally</c> or on each exit, a private
/// <c>ArrayPool&lt;T&gt;.Create()</c> pool, <c>MemoryPool&lt;T&gt;</c> owners in <c>using</c>, <c>ObjectPool&lt;T&gt;</c>
/// Get/Return, views (<c>AsSpan</c>, <c>AsMemory</c>, <c>ArraySegment</c>), loops, async and a rental kept in a field.
/// Every method is correct except one seeded leak per class. The <see cref="CodeFlavor.Disposables"/> twin has the same
/// control flow with an <see cref="IDisposable"/> buffer (a rental becomes <c>new</c>, a give-back <c>Dispose()</c>), so
/// CA2000 can be run over an equivalent code base.
/// </summary>
public static partial class NetPoolCodeGenerator
{
    /// <summary>Files of about 240 lines, 100 per <paramref name="scale"/>, each class eleven methods, one of them a seeded leak.</summary>
    public static GeneratedCodeBase Generate(int scale, CodeFlavor flavor)
    {
        if (scale < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "At least 1.");
        }

        if (flavor == CodeFlavor.Pages)
        {
            throw new ArgumentOutOfRangeException(nameof(flavor), flavor, "NetPools or Disposables.");
        }

        var pooled = flavor == CodeFlavor.NetPools;
        var files = new List<(string Name, string Text)>();
        var methods = 0;
        var classes = 100 * scale;
        for (var c = 0; c < classes; c++)
        {
            var text = new StringBuilder();
            text.AppendLine(pooled ? PoolPrologue : DisposablePrologue);
            text.Append("public sealed class Worker").Append(c).AppendLine();
            text.AppendLine("{");
            text.AppendLine((pooled ? PoolFields : DisposableFields).Replace("$C", c.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
            for (var m = 0; m < Shapes.Length; m++)
            {
                var shape = Shapes[(c + m) % Shapes.Length].Replace("$N", m.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
                text.AppendLine(pooled ? shape : ToDisposable(shape));
                methods++;
            }

            text.AppendLine(pooled ? SeededLeak : ToDisposable(SeededLeak));
            methods++;
            text.AppendLine("}");
            files.Add(($"Worker{c}.cs", text.ToString()));
        }

        files.Add(("Support.cs", pooled ? PoolSupport : DisposableSupport));
        return new GeneratedCodeBase(files, classes, methods);
    }

    // The IDisposable twin: every rental is `new`, every give-back Dispose(); Buffer and Scratch offer the members the
    // pooled shapes use on an array, an IMemoryOwner and a pooled object, so the method bodies stay the same.
    private static string ToDisposable(string text)
    {
        text = GiveBack().Replace(text, "$1.Dispose()");
        return text
            .Replace("ArrayPool<byte>.Shared.Rent(", "new Buffer(", StringComparison.Ordinal)
            .Replace("_private.Rent(", "new Buffer(", StringComparison.Ordinal)
            .Replace("MemoryPool<byte>.Shared.Rent(", "new Buffer(", StringComparison.Ordinal)
            .Replace("_scratch.Get()", "new Scratch()", StringComparison.Ordinal)
            .Replace("new ArraySegment<byte>(buffer, 0, n)", "buffer.Segment(0, n)", StringComparison.Ordinal)
            .Replace("byte[]?", "Buffer?", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"(?:ArrayPool<byte>\.Shared|_private|_scratch)\.Return\((\w+)(?:, clearArray: true)?\)")]
    private static partial Regex GiveBack();

    private const string PoolPrologue = """
        using System;
        using System.Buffers;
        using System.Threading.Tasks;
        using Microsoft.Extensions.ObjectPool;

        namespace Generated;
        """;

    private const string DisposablePrologue = """
        using System;
        using System.Threading.Tasks;

        namespace Generated;
        """;

    private const string PoolFields = """
            private readonly ArrayPool<byte> _private = ArrayPool<byte>.Create();
            private readonly ObjectPool<Scratch> _scratch;
            private byte[]? _held;

            public Worker$C(ObjectPool<Scratch> scratch) => _scratch = scratch;
        """;

    private const string DisposableFields = """
            private Buffer? _held;
        """;

    // An early return on an error path that forgets the rental.
    private const string SeededLeak = """
            public int Seeded(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                buffer[0] = 1;
                var length = buffer.Length;
                if (n > 4096)
                {
                    return -1;
                }

                ArrayPool<byte>.Shared.Return(buffer);
                return length;
            }
        """;

    private static readonly string[] Shapes =
    [
        // A rental given back in a finally, with an early return inside the try.
        """
            public int Checksum$N(int n, int rounds)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                try
                {
                    var sum = 0;
                    for (var i = 0; i < rounds; i++)
                    {
                        sum += buffer[i % buffer.Length] + i;
                        if (sum > 1_000_000)
                        {
                            return sum;
                        }
                    }

                    return sum;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        """,

        // A span over the rental, used and dropped before the give-back.
        """
            public int Fill$N(int n, byte value)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                var span = buffer.AsSpan(0, n);
                span.Fill(value);
                var total = 0;
                foreach (var b in span)
                {
                    total += b;
                }

                ArrayPool<byte>.Shared.Return(buffer);
                return total;
            }
        """,

        // A MemoryPool owner in a using declaration, its Memory and Span used inside.
        """
            public int Owner$N(int n)
            {
                using var owner = MemoryPool<byte>.Shared.Rent(n);
                var memory = owner.Memory;
                if (memory.Length < n)
                {
                    return 0;
                }

                memory.Span[0] = 1;
                return memory.Length;
            }
        """,

        // A MemoryPool owner in a using block, with a loop over its span.
        """
            public int Copy$N(ReadOnlySpan<byte> source)
            {
                using (var owner = MemoryPool<byte>.Shared.Rent(source.Length))
                {
                    var target = owner.Memory.Span;
                    var copied = 0;
                    for (var i = 0; i < source.Length && i < target.Length; i++)
                    {
                        target[i] = source[i];
                        copied++;
                    }

                    return copied;
                }
            }
        """,

        // An ObjectPool object given back in a finally.
        """
            public int Format$N(int n)
            {
                var item = _scratch.Get();
                try
                {
                    for (var i = 0; i < n; i++)
                    {
                        item.Append(i);
                    }

                    return item.Length;
                }
                finally
                {
                    _scratch.Return(item);
                }
            }
        """,

        // An ObjectPool object given back on each exit.
        """
            public int Probe$N(int n)
            {
                var item = _scratch.Get();
                item.Append(n);
                if (item.Length > 100)
                {
                    _scratch.Return(item);
                    return -1;
                }

                var length = item.Length;
                _scratch.Return(item);
                return length;
            }
        """,

        // A private pool, given back (cleared) on each exit; an ArraySegment view.
        """
            public int Private$N(int n)
            {
                var buffer = _private.Rent(n);
                if (n > 1024)
                {
                    _private.Return(buffer);
                    return -1;
                }

                var segment = new ArraySegment<byte>(buffer, 0, n);
                var count = segment.Count;
                _private.Return(buffer, clearArray: true);
                return count;
            }
        """,

        // A rental per loop iteration.
        """
            public int Chunks$N(int count)
            {
                var total = 0;
                for (var i = 0; i < count; i++)
                {
                    var chunk = ArrayPool<byte>.Shared.Rent(64);
                    chunk[0] = (byte)i;
                    total += chunk[0];
                    ArrayPool<byte>.Shared.Return(chunk);
                }

                return total;
            }
        """,

        // An async method: a Memory view across an await, the give-back in a finally.
        """
            public async Task<int> Read$N(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                try
                {
                    await Task.Yield();
                    var memory = buffer.AsMemory(0, n);
                    memory.Span.Clear();
                    return memory.Length;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        """,

        // A rental kept in a field when the field is free, given back otherwise.
        """
            public bool Keep$N(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                if (_held is null)
                {
                    _held = buffer;
                    return true;
                }

                ArrayPool<byte>.Shared.Return(buffer);
                return false;
            }
        """,
    ];

    private const string PoolSupport = """
        namespace Generated;

        public sealed class Scratch
        {
            public int Length { get; private set; }

            public void Append(int value) => Length += value % 7;
        }
        """;

    private const string DisposableSupport = """
        using System;

        namespace Generated;

        public sealed class Buffer : IDisposable
        {
            private readonly byte[] _data;

            public Buffer(int length) => _data = new byte[length];

            public int Length => _data.Length;

            public Memory<byte> Memory => _data;

            public byte this[int index]
            {
                get => _data[index];
                set => _data[index] = value;
            }

            public Span<byte> AsSpan(int start, int length) => _data.AsSpan(start, length);

            public Memory<byte> AsMemory(int start, int length) => _data.AsMemory(start, length);

            public ArraySegment<byte> Segment(int start, int count) => new(_data, start, count);

            public void Dispose()
            {
            }
        }

        public sealed class Scratch : IDisposable
        {
            public int Length { get; private set; }

            public void Append(int value) => Length += value % 7;

            public void Dispose()
            {
            }
        }
        """;
}
