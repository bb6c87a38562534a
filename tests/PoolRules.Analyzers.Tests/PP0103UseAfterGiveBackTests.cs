using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0103UseAfterGiveBackAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0103UseAfterGiveBackTests
{
    // A range over a view (span[1..]) is the view's Slice: the same rental, read after it went back.
    [Fact]
    public Task Range_of_a_view_read_after_return_is_reported() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        class Parser
        {
            int Tail(int n)
            {
                var rented = ArrayPool<byte>.Shared.Rent(n);
                var tail = rented.AsSpan()[1..];
                ArrayPool<byte>.Shared.Return(rented);
                return {|PP0103:tail|}[0];
            }

            int Copy(int n)
            {
                var rented = ArrayPool<byte>.Shared.Rent(n);
                var copy = rented[1..];
                ArrayPool<byte>.Shared.Return(rented);
                return copy[0];
            }
        }
        """);

    [Fact]
    public Task Array_read_after_return_is_reported_with_the_return() => V.AnalyzerAsync("""
        using System.Buffers;

        class Codec
        {
            int Read(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                {|#1:ArrayPool<byte>.Shared.Return(buffer)|};
                return {|#0:buffer|}[0];
            }
        }
        """,
        V.Diagnostic("PP0103").WithLocation(0).WithLocation(1).WithArguments("Rental 'buffer'", "is used here after it was given back to its pool", "14"));

    [Fact]
    public Task Span_of_the_rental_used_after_return_is_reported() => V.AnalyzerAsync("""
        using System.Buffers;

        class Codec
        {
            void Fill(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                var span = buffer.AsSpan(0, n);
                ArrayPool<byte>.Shared.Return(buffer);
                {|PP0103:span|}.Fill(0);
            }
        }
        """);

    [Fact]
    public Task Span_of_an_owner_used_after_the_using_block_ends_is_reported() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        class Decoder
        {
            int Decode(int n)
            {
                Span<int> values;
                using (var owner = MemoryPool<int>.Shared.Rent(n))
                {
                    values = owner.Memory.Span;
                }

                return {|PP0103:values|}[0];
            }
        }
        """);

    [Fact]
    public Task Pooled_object_used_after_return_is_reported() => V.AnalyzerAsync("""
        using System.Text;
        using Microsoft.Extensions.ObjectPool;

        class Names
        {
            string Join(ObjectPool<StringBuilder> pool)
            {
                var sb = pool.Get();
                sb.Append('x');
                pool.Return(sb);
                return {|PP0103:sb|}.ToString();
            }
        }
        """);

    [Fact]
    public Task Task_returned_from_a_try_whose_finally_returns_the_buffer_escapes() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.IO;

        class Writer
        {
            private readonly Stream _stream = Stream.Null;

            Task Write(int length, CancellationToken token)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    return {|#0:_stream.WriteAsync(buffer, 0, length, token)|};
                }
                finally
                {
                    {|#1:ArrayPool<byte>.Shared.Return(buffer)|};
                }
            }
        }
        """,
        V.Diagnostic("PP0103").WithLocation(0).WithLocation(1).WithArguments("Rental 'buffer'", "escapes here, but the scope it escapes gives it back to its pool", "23"));

    [Fact]
    public Task View_stored_in_a_field_collection_before_the_finally_returns_the_array_escapes() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;
        using System.Collections.Generic;

        class Frames
        {
            private readonly List<ArraySegment<byte>> _frames = new();

            void Add(int size)
            {
                var encoded = ArrayPool<byte>.Shared.Rent(size);
                try
                {
                    {|PP0103:_frames.Add(new ArraySegment<byte>(encoded, 0, size))|};
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(encoded);
                }
            }
        }
        """);

    [Fact]
    public Task Rental_given_back_while_a_field_still_points_at_it_is_reported_at_the_give_back() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.Text;

        class Reader
        {
            private byte[]? _scratch;

            string Read(int byteCount)
            {
                _scratch = ArrayPool<byte>.Shared.Rent(byteCount);
                var value = Encoding.UTF8.GetString(_scratch, 0, byteCount);
                {|PP0103:ArrayPool<byte>.Shared.Return(_scratch)|};
                return value;
            }
        }
        """);

    [Fact]
    public Task Rental_kept_in_a_field_that_a_finally_gives_back_without_clearing_escapes() => V.AnalyzerAsync("""
        using System.Buffers;

        class Reader
        {
            private int[]? _cache;

            bool Next(int columns)
            {
                try
                {
                    {|PP0103:_cache = ArrayPool<int>.Shared.Rent(columns)|};
                    return true;
                }
                finally
                {
                    if (_cache is { } cache)
                    {
                        ArrayPool<int>.Shared.Return(cache);
                    }
                }
            }
        }
        """);

    // ---- no use after give-back --------------------------------------------------------------------------------

    // The fixed half of npgsql's "Fix cache bleed" (NetPoolCorpus/PP0103_NpgsqlColumnInfoCacheBleed.cs): the finally
    // clears the field before it gives the rental back, so nothing keeps it past the method.
    [Fact]
    public Task Rental_kept_in_a_field_that_a_finally_clears_before_giving_it_back_is_fine() => V.AnalyzerAsync("""
        using System.Buffers;

        class Reader
        {
            private int[]? _cache;

            bool Next(int columns, bool last)
            {
                var consumed = false;
                try
                {
                    if (!last)
                    {
                        _cache = ArrayPool<int>.Shared.Rent(columns);
                        return true;
                    }

                    consumed = true;
                    return false;
                }
                finally
                {
                    if (consumed && _cache is { } cache)
                    {
                        _cache = null;
                        ArrayPool<int>.Shared.Return(cache);
                    }
                }
            }
        }
        """);


    [Fact]
    public Task Field_cleared_right_after_the_give_back_is_fine() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.Text;

        class Reader
        {
            private byte[]? _scratch;

            string Read(int byteCount)
            {
                _scratch = ArrayPool<byte>.Shared.Rent(byteCount);
                var value = Encoding.UTF8.GetString(_scratch, 0, byteCount);
                ArrayPool<byte>.Shared.Return(_scratch);
                _scratch = null;
                return value;
            }
        }
        """);

    [Fact]
    public Task Awaited_task_inside_try_finally_does_not_escape() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.IO;

        class Writer
        {
            private readonly Stream _stream = Stream.Null;

            async Task Write(int length, CancellationToken token)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    await _stream.WriteAsync(buffer, 0, length, token);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        """);

    [Fact]
    public Task View_assigned_to_an_outer_variable_but_used_inside_the_using_block_is_fine() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        class Decoder
        {
            int Decode(int n)
            {
                Span<int> values;
                using (var owner = MemoryPool<int>.Shared.Rent(n))
                {
                    values = owner.Memory.Span;
                    return values[0];
                }
            }
        }
        """);

    [Fact]
    public Task Copy_taken_before_the_return_may_be_used_after_it() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;
        using System.Collections.Generic;

        class Frames
        {
            private readonly List<byte[]> _frames = new();
            private readonly List<byte> _bytes = new();

            void Add(int size)
            {
                var encoded = ArrayPool<byte>.Shared.Rent(size);
                try
                {
                    _frames.Add(encoded.AsSpan(0, size).ToArray());
                    _bytes.AddRange(encoded);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(encoded);
                }

                var text = Convert.ToBase64String(_frames[0]);
            }
        }
        """);
    [Fact]
    public Task Rental_given_to_an_async_local_function_that_gives_it_back_after_its_await_is_not_used_after() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.IO;
        using System.Threading.Tasks;

        static class Reads
        {
            public static ValueTask<int> Read(Stream stream, int n)
            {
                var shared = ArrayPool<byte>.Shared.Rent(n);
                return Finish(stream.ReadAsync(shared, 0, n), shared);

                static async ValueTask<int> Finish(Task<int> read, byte[] local)
                {
                    try
                    {
                        return await read.ConfigureAwait(false);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(local);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Rental_used_after_a_synchronous_helper_gave_it_back_is_still_reported() => V.AnalyzerAsync("""
        using System.Buffers;

        static class Reads
        {
            public static int Read(int n)
            {
                var shared = ArrayPool<byte>.Shared.Rent(n);
                Finish(shared);
                return {|PP0103:shared|}[0];

                static void Finish(byte[] local) => ArrayPool<byte>.Shared.Return(local);
            }
        }
        """);
}
