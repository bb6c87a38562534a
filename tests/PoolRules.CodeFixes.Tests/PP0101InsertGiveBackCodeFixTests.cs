using System.Threading.Tasks;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0101RentalLeakAnalyzer, PoolRules.CodeFixes.PP0001InsertPutCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0101InsertGiveBackCodeFixTests
{
    [Fact]
    public Task Early_return_that_skips_the_return_gets_the_return_of_the_pool_it_was_rented_from()
    {
        const string source = """
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
            """;
        const string fixedSource = """
            class Codec
            {
                bool Decode(int n, bool corrupt)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    if (corrupt)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return false;
                    }

                    ArrayPool<byte>.Shared.Return(buffer);
                    return true;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.InsertGiveBack);
    }

    [Fact]
    public Task Return_value_read_from_the_rental_is_read_before_the_give_back()
    {
        const string source = """
            class Codec
            {
                private readonly ArrayPool<int> _pool = ArrayPool<int>.Create();

                int Sum(int n)
                {
                    var buffer = {|PP0101:_pool.Rent(n)|};
                    buffer[0] = n;
                    return buffer[0] + 1;
                }
            }
            """;
        const string fixedSource = """
            class Codec
            {
                private readonly ArrayPool<int> _pool = ArrayPool<int>.Create();

                int Sum(int n)
                {
                    var buffer = _pool.Rent(n);
                    buffer[0] = n;
                    int result = buffer[0] + 1;
                    _pool.Return(buffer);
                    return result;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Memory_owner_left_on_a_branch_is_disposed_there()
    {
        const string source = """
            class Histogram
            {
                int[]? Build(int length, bool corrupt)
                {
                    IMemoryOwner<int> counts = {|PP0101:MemoryPool<int>.Shared.Rent(length)|};
                    if (corrupt)
                    {
                        return null;
                    }

                    var result = counts.Memory.Span.ToArray();
                    counts.Dispose();
                    return result;
                }
            }
            """;
        const string fixedSource = """
            class Histogram
            {
                int[]? Build(int length, bool corrupt)
                {
                    IMemoryOwner<int> counts = MemoryPool<int>.Shared.Rent(length);
                    if (corrupt)
                    {
                        counts.Dispose();
                        return null;
                    }

                    var result = counts.Memory.Span.ToArray();
                    counts.Dispose();
                    return result;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Pooled_object_returned_only_when_the_probe_succeeds_goes_back_on_the_other_path()
    {
        const string source = """
            using System.Text;
            using Microsoft.Extensions.ObjectPool;

            class Probe
            {
                private readonly ObjectPool<StringBuilder> _builders = new DefaultObjectPoolProvider().CreateStringBuilderPool();

                string? Describe(int value)
                {
                    var sb = {|PP0101:_builders.Get()|};
                    if (value < 0)
                    {
                        return null;
                    }

                    sb.Append(value);
                    var text = sb.ToString();
                    _builders.Return(sb);
                    return text;
                }
            }
            """;
        const string fixedSource = """
            using System.Text;
            using Microsoft.Extensions.ObjectPool;

            class Probe
            {
                private readonly ObjectPool<StringBuilder> _builders = new DefaultObjectPoolProvider().CreateStringBuilderPool();

                string? Describe(int value)
                {
                    var sb = _builders.Get();
                    if (value < 0)
                    {
                        _builders.Return(sb);
                        return null;
                    }

                    sb.Append(value);
                    var text = sb.ToString();
                    _builders.Return(sb);
                    return text;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Rental_never_returned_goes_back_at_the_end_of_the_body()
    {
        const string source = """
            class Codec
            {
                void Fill(int n)
                {
                    var buffer = {|PP0101:ArrayPool<byte>.Shared.Rent(n)|};
                    buffer.AsSpan(0, n).Fill(1);
                }
            }
            """;
        const string fixedSource = """
            class Codec
            {
                void Fill(int n)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    buffer.AsSpan(0, n).Fill(1);
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Rental_from_a_pool_no_name_reaches_gets_no_fix()
    {
        // Nothing names the pool the array came from, and an array has no pool of its own to ask.
        const string source = """
            class Codec
            {
                void Fill(int n)
                {
                    var buffer = ArrayPool<byte>.Create().Rent(n);
                    buffer[0] = 1;
                }
            }
            """;
        Assert.Empty(await FixHarness.TitlesAsync(source, "PP0101"));
    }

    [Fact]
    public async Task Rental_leak_is_offered_the_give_back_and_the_finally_but_no_release()
    {
        const string source = """
            class Codec
            {
                bool Decode(int n, bool corrupt)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    if (corrupt) return false;
                    ArrayPool<byte>.Shared.Return(buffer);
                    return true;
                }
            }
            """;
        Assert.Equal(
            ["Return 'buffer' to 'ArrayPool<byte>.Shared' on every leaking path", "Give 'buffer' back in a finally around its use"],
            await FixHarness.TitlesAsync(source, "PP0101"));
    }

    [Fact]
    public Task Finally_around_the_use_gives_back_once_on_every_path()
    {
        const string source = """
            class Codec
            {
                bool Decode(int n, bool corrupt)
                {
                    var buffer = {|PP0101:ArrayPool<byte>.Shared.Rent(n)|};
                    buffer[0] = 1;
                    if (corrupt)
                    {
                        return false;
                    }

                    ArrayPool<byte>.Shared.Return(buffer);
                    return true;
                }
            }
            """;
        const string fixedSource = """
            class Codec
            {
                bool Decode(int n, bool corrupt)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    try
                    {
                        buffer[0] = 1;
                        if (corrupt)
                        {
                            return false;
                        }
                        return true;
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.WrapInTryFinally);
    }

    [Fact]
    public Task Finally_is_not_offered_where_a_path_hands_the_rental_on()
    {
        // The finally would give back the array the caller now owns; only the give-back on the leaking path is right.
        const string source = """
            class Codec
            {
                byte[]? Decode(int n, bool corrupt)
                {
                    var buffer = {|PP0101:ArrayPool<byte>.Shared.Rent(n)|};
                    if (corrupt)
                    {
                        return null;
                    }

                    return buffer;
                }
            }
            """;
        const string fixedSource = """
            class Codec
            {
                byte[]? Decode(int n, bool corrupt)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    if (corrupt)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return null;
                    }

                    return buffer;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Fix_all_puts_every_leaking_use_in_a_finally()
    {
        const string first = """
            class First
            {
                void A(int n)
                {
                    var owner = {|PP0101:MemoryPool<char>.Shared.Rent(n)|};
                    owner.Memory.Span.Fill('x');
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                void A(int n)
                {
                    var owner = MemoryPool<char>.Shared.Rent(n);
                    try
                    {
                        owner.Memory.Span.Fill('x');
                    }
                    finally
                    {
                        owner.Dispose();
                    }
                }
            }
            """;
        const string second = """
            class Second
            {
                int C(int n, bool skip)
                {
                    var buffer = {|PP0101:ArrayPool<int>.Shared.Rent(n)|};
                    if (skip) return 0;
                    buffer[0] = n;
                    ArrayPool<int>.Shared.Return(buffer);
                    return n;
                }
            }
            """;
        const string secondFixed = """
            class Second
            {
                int C(int n, bool skip)
                {
                    var buffer = ArrayPool<int>.Shared.Rent(n);
                    try
                    {
                        if (skip) return 0;
                        buffer[0] = n;
                        return n;
                    }
                    finally
                    {
                        ArrayPool<int>.Shared.Return(buffer);
                    }
                }
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)], equivalenceKey: EquivalenceKeys.WrapInTryFinally);
    }

    [Fact]
    public Task Fix_all_gives_back_every_leaking_rental_in_every_document()
    {
        const string first = """
            class First
            {
                bool A(int n, bool corrupt)
                {
                    var buffer = {|PP0101:ArrayPool<byte>.Shared.Rent(n)|};
                    if (corrupt) return false;
                    ArrayPool<byte>.Shared.Return(buffer);
                    return true;
                }

                void B(int n)
                {
                    var owner = {|PP0101:MemoryPool<char>.Shared.Rent(n)|};
                    owner.Memory.Span.Fill('x');
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                bool A(int n, bool corrupt)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    if (corrupt)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return false;
                    }
                    ArrayPool<byte>.Shared.Return(buffer);
                    return true;
                }

                void B(int n)
                {
                    var owner = MemoryPool<char>.Shared.Rent(n);
                    owner.Memory.Span.Fill('x');
                    owner.Dispose();
                }
            }
            """;
        const string second = """
            class Second
            {
                void C(int n)
                {
                    var buffer = {|PP0101:ArrayPool<int>.Shared.Rent(n)|};
                    buffer[0] = n;
                }

                void D(int n)
                {
                    var buffer = {|PP0101:ArrayPool<int>.Create().Rent(n)|};
                    buffer[0] = n;
                }
            }
            """;
        const string secondFixed = """
            class Second
            {
                void C(int n)
                {
                    var buffer = ArrayPool<int>.Shared.Rent(n);
                    buffer[0] = n;
                    ArrayPool<int>.Shared.Return(buffer);
                }

                void D(int n)
                {
                    var buffer = {|PP0101:ArrayPool<int>.Create().Rent(n)|};
                    buffer[0] = n;
                }
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)], equivalenceKey: EquivalenceKeys.InsertGiveBack);
    }
}
