using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0101RentalLeakAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0101RentalLeakTests
{
    private const string ExceptionPathsOn = "dotnet_code_quality.PP0101.exception_paths = true";

    // ---- leaks -------------------------------------------------------------------------------------------------

    [Fact]
    public Task Rented_array_never_returned_is_reported_at_the_rent_with_the_exit() => V.AnalyzerAsync("""
        using System.Buffers;

        class Codec
        {
            int Sum(int n)
            {
                var buffer = {|#0:ArrayPool<byte>.Shared.Rent(n)|};
                buffer[0] = 1;
                {|#1:return buffer[0];|}
            }
        }
        """,
        V.Diagnostic("PP0101").WithLocation(0).WithLocation(1).WithArguments("Rental 'buffer'", "rented", "when the method returns at line 15"));

    [Fact]
    public Task Early_return_that_skips_the_return_is_a_leak() => V.AnalyzerAsync("""
        using System.Buffers;

        class Codec
        {
            bool Decode(int n, bool corrupt)
            {
                var buffer = {|PP0101:ArrayPool<byte>.Shared.Rent(n)|};
                if (corrupt)
                {
                    return false;
                }

                ArrayPool<byte>.Shared.Return(buffer);
                return true;
            }
        }
        """);

    [Fact]
    public Task Memory_owner_not_disposed_on_a_branch_is_a_leak() => V.AnalyzerAsync("""
        using System.Buffers;

        class Histogram
        {
            int[]? Build(int length, bool corrupt)
            {
                IMemoryOwner<int> counts = {|PP0101:MemoryPool<int>.Shared.Rent(length)|};
                if (corrupt)
                {
                    return null;
                }

                var result = counts.Memory.Span.Slice(0, length).ToArray();
                counts.Dispose();
                return result;
            }
        }
        """);

    [Fact]
    public Task Object_from_an_object_pool_returned_on_one_branch_only_is_a_leak() => V.AnalyzerAsync("""
        using System.Text;
        using Microsoft.Extensions.ObjectPool;

        class Names
        {
            private readonly ObjectPool<StringBuilder> _builders = new DefaultObjectPoolProvider().CreateStringBuilderPool();

            string? Join(string[] parts)
            {
                var sb = {|PP0101:_builders.Get()|};
                foreach (var part in parts)
                {
                    if (part.Length == 0)
                    {
                        return null;
                    }

                    sb.Append(part);
                }

                var text = sb.ToString();
                _builders.Return(sb);
                return text;
            }
        }
        """);

    [Fact]
    public Task Variable_overwritten_while_it_holds_a_rental_is_a_leak() => V.AnalyzerAsync("""
        using System.Buffers;

        class Grow
        {
            void Twice(int n)
            {
                var buffer = {|#0:ArrayPool<byte>.Shared.Rent(n)|};
                buffer[0] = 1;
                {|#1:buffer = ArrayPool<byte>.Shared.Rent(n * 2)|};
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        """,
        V.Diagnostic("PP0101").WithLocation(0).WithLocation(1).WithArguments("Rental 'buffer'", "rented", "before the variable is overwritten at line 15"));

    [Fact]
    public Task Leak_only_when_the_method_throws_is_reported_when_editorconfig_asks() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        class Codec
        {
            void Fill(int n)
            {
                var buffer = {|#0:ArrayPool<byte>.Shared.Rent(n)|};
                if (n > 4096)
                {
                    {|#1:throw new ArgumentOutOfRangeException(nameof(n));|}
                }

                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        """,
        ExceptionPathsOn,
        V.Diagnostic("PP0101").WithLocation(0).WithLocation(1).WithArguments("Rental 'buffer'", "rented", "when the method throws at line 17"));

    // ---- no leak -----------------------------------------------------------------------------------------------

    [Fact]
    public Task Leak_only_when_the_method_throws_is_not_reported_by_default() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        class Codec
        {
            void Fill(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                if (n > 4096)
                {
                    throw new ArgumentOutOfRangeException(nameof(n));
                }

                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        """);

    [Fact]
    public Task Return_in_finally_and_using_owner_are_no_leak() => V.AnalyzerAsync("""
        using System.Buffers;
        using Microsoft.Extensions.ObjectPool;
        using System.Text;

        class Codec
        {
            int Sum(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                try
                {
                    return buffer.AsSpan(0, n).IndexOf((byte)0);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                }
            }

            int Owner(int n)
            {
                using var owner = MemoryPool<byte>.Shared.Rent(n);
                var span = owner.Memory.Span;
                span[0] = 1;
                return span[0];
            }

            string Build(ObjectPool<StringBuilder> pool)
            {
                var sb = pool.Get();
                try
                {
                    return sb.Append('x').ToString();
                }
                finally
                {
                    pool.Return(sb);
                }
            }
        }
        """);

    [Fact]
    public Task Conditional_rental_with_a_null_checked_return_in_finally_is_no_leak() => V.AnalyzerAsync("""
        using System.Buffers;

        class Deserializer
        {
            int Read(int length, int kind)
            {
                byte[]? scratch = null;
                try
                {
                    if (kind == 1)
                    {
                        scratch = ArrayPool<byte>.Shared.Rent(length);
                        return scratch.Length;
                    }
                    else if (kind == 2)
                    {
                        scratch = ArrayPool<byte>.Shared.Rent(length * 2);
                        return scratch.Length / 2;
                    }

                    return 0;
                }
                finally
                {
                    if (scratch is not null)
                    {
                        ArrayPool<byte>.Shared.Return(scratch);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Rental_returned_to_the_caller_stored_in_a_field_or_a_collection_is_handed_on() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.Collections.Generic;

        class Holder
        {
            private byte[]? _buffer;
            private readonly List<byte[]> _buffers = new();

            byte[] Take(int n) => ArrayPool<byte>.Shared.Rent(n);

            IMemoryOwner<byte> Owner(int n) => MemoryPool<byte>.Shared.Rent(n);

            void Keep(int n)
            {
                _buffer = ArrayPool<byte>.Shared.Rent(n);
            }

            void Queue(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                _buffers.Add(buffer);
            }

            bool TryRent(int n, out byte[] buffer)
            {
                buffer = ArrayPool<byte>.Shared.Rent(n);
                return true;
            }
        }
        """);

    [Fact]
    public Task Rental_passed_to_a_TakesOwnership_parameter_of_any_namespace_is_handed_on() => V.AnalyzerAsync("""
        using System.Buffers;

        namespace MyCompany.Buffers
        {
            [System.AttributeUsage(System.AttributeTargets.Parameter)]
            sealed class TakesOwnershipAttribute : System.Attribute { }
        }

        class Writer
        {
            void Send(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                Enqueue(buffer);
                var other = ArrayPool<byte>.Shared.Rent(n);
                Shipped(other);
            }

            void Enqueue([MyCompany.Buffers.TakesOwnership] byte[] buffer) { }

            void Shipped([PoolRules.Runtime.TakesOwnership] byte[] buffer) { }
        }
        """);

    [Fact]
    public Task Helper_that_returns_its_argument_to_the_pool_gives_it_back() => V.AnalyzerAsync("""
        using System.Buffers;

        class Codec
        {
            void Work(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                buffer[0] = 1;
                Free(buffer);
            }

            static void Free(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);
        }
        """);

    [Fact]
    public Task Async_loop_that_returns_in_finally_is_no_leak() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.IO;

        class Sender
        {
            async Task Pump(Stream source, Stream target, CancellationToken token)
            {
                while (!token.IsCancellationRequested)
                {
                    byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
                    try
                    {
                        int read = await source.ReadAsync(buffer, 0, buffer.Length, token);
                        if (read == 0)
                        {
                            return;
                        }

                        await target.WriteAsync(buffer.AsMemory(0, read), token);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Code_without_pools_gets_nothing() => V.AnalyzerAsync("""
        class Plain
        {
            int[] Make(int n) => new int[n];

            int Get(System.Collections.Generic.Dictionary<int, int> map) => map[1];
        }
        """);
}
