using System.Threading.Tasks;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0102DoubleGiveBackAnalyzer, PoolRules.CodeFixes.PP0002RemoveSecondPutCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0102RemoveSecondGiveBackCodeFixTests
{
    [Fact]
    public Task Return_in_try_and_again_in_finally_keeps_the_finally()
    {
        const string source = """
            class Encoder
            {
                void Encode(int n)
                {
                    var work = ArrayPool<byte>.Shared.Rent(n);
                    try
                    {
                        work[0] = 1;
                        ArrayPool<byte>.Shared.Return(work);
                    }
                    finally
                    {
                        {|PP0102:ArrayPool<byte>.Shared.Return(work)|};
                    }
                }
            }
            """;
        const string fixedSource = """
            class Encoder
            {
                void Encode(int n)
                {
                    var work = ArrayPool<byte>.Shared.Rent(n);
                    try
                    {
                        work[0] = 1;
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(work);
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.RemoveSecondGiveBack);
    }

    [Fact]
    public Task Return_on_one_branch_then_unconditionally_loses_the_branch()
    {
        const string source = """
            class Encoder
            {
                void Encode(int n, bool small)
                {
                    var work = ArrayPool<byte>.Shared.Rent(n);
                    if (small)
                    {
                        ArrayPool<byte>.Shared.Return(work);
                    }

                    {|PP0102:ArrayPool<byte>.Shared.Return(work)|};
                }
            }
            """;
        const string fixedSource = """
            class Encoder
            {
                void Encode(int n, bool small)
                {
                    var work = ArrayPool<byte>.Shared.Rent(n);

                    ArrayPool<byte>.Shared.Return(work);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Owner_disposed_twice_loses_the_second_dispose()
    {
        const string source = """
            class Twice
            {
                int Owner(int n)
                {
                    var owner = MemoryPool<byte>.Shared.Rent(n);
                    owner.Memory.Span[0] = 1;
                    owner.Dispose();
                    {|PP0102:owner.Dispose()|};
                    return n;
                }
            }
            """;
        const string fixedSource = """
            class Twice
            {
                int Owner(int n)
                {
                    var owner = MemoryPool<byte>.Shared.Rent(n);
                    owner.Memory.Span[0] = 1;
                    owner.Dispose();
                    return n;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Using_owner_disposed_by_hand_as_well_loses_the_hand_dispose()
    {
        // Where the engine reports the using's own dispose (its declaration or its end) does not matter here: the
        // hand-written Dispose is the one that can go.
        const string source = """
            class Twice
            {
                int Owner(int n)
                {
                    using (var owner = MemoryPool<byte>.Shared.Rent(n))
                    {
                        owner.Memory.Span[0] = 1;
                        owner.Dispose();
                    }

                    return n;
                }
            }
            """;
        const string fixedSource = """
            class Twice
            {
                int Owner(int n)
                {
                    using (var owner = MemoryPool<byte>.Shared.Rent(n))
                    {
                        owner.Memory.Span[0] = 1;
                    }

                    return n;
                }
            }
            """;
        var document = FixHarness.Document(source);
        var diagnostic = Assert.Single(await FixHarness.DiagnosticsAsync(document), d => d.Id == "PP0102");
        var action = Assert.Single(await FixHarness.ActionsAsync(document, diagnostic));
        Assert.Equal(EquivalenceKeys.RemoveSecondGiveBack, action.EquivalenceKey);
        var fixedDocument = await FixHarness.ApplyAsync(document, action);
        Assert.Equal(Verify.Usings + fixedSource, (await fixedDocument.GetTextAsync()).ToString());
        Assert.DoesNotContain(await FixHarness.DiagnosticsAsync(fixedDocument), d => d.Id.StartsWith("PP", System.StringComparison.Ordinal));
    }

    [Fact]
    public Task Object_returned_twice_loses_the_second_return()
    {
        const string source = """
            using System.Text;
            using Microsoft.Extensions.ObjectPool;

            class Twice
            {
                string Builder(ObjectPool<StringBuilder> pool)
                {
                    var sb = pool.Get();
                    var text = sb.Append('x').ToString();
                    pool.Return(sb);
                    {|PP0102:pool.Return(sb)|};
                    return text;
                }
            }
            """;
        const string fixedSource = """
            using System.Text;
            using Microsoft.Extensions.ObjectPool;

            class Twice
            {
                string Builder(ObjectPool<StringBuilder> pool)
                {
                    var sb = pool.Get();
                    var text = sb.Append('x').ToString();
                    pool.Return(sb);
                    return text;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Second_give_back_by_a_helper_keeps_the_helper_and_loses_the_direct_return()
    {
        const string source = """
            class Encoder
            {
                void Encode(int n)
                {
                    var work = ArrayPool<byte>.Shared.Rent(n);
                    ArrayPool<byte>.Shared.Return(work);
                    {|PP0102:Free(work)|};
                }

                static void Free(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);
            }
            """;
        const string fixedSource = """
            class Encoder
            {
                void Encode(int n)
                {
                    var work = ArrayPool<byte>.Shared.Rent(n);
                    Free(work);
                }

                static void Free(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Two_give_backs_by_helpers_get_no_fix()
    {
        // A helper may do more than give back; removing its call removes that too.
        const string source = """
            class Encoder
            {
                void Encode(int n)
                {
                    var work = ArrayPool<byte>.Shared.Rent(n);
                    Free(work);
                    {|PP0102:Free(work)|};
                }

                static void Free(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Fix_all_removes_every_second_give_back_in_every_document()
    {
        const string first = """
            class First
            {
                void A(int n)
                {
                    var work = ArrayPool<byte>.Shared.Rent(n);
                    try
                    {
                        work[0] = 1;
                        ArrayPool<byte>.Shared.Return(work);
                    }
                    finally
                    {
                        {|PP0102:ArrayPool<byte>.Shared.Return(work)|};
                    }
                }

                void B(int n)
                {
                    var owner = MemoryPool<byte>.Shared.Rent(n);
                    owner.Dispose();
                    {|PP0102:owner.Dispose()|};
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                void A(int n)
                {
                    var work = ArrayPool<byte>.Shared.Rent(n);
                    try
                    {
                        work[0] = 1;
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(work);
                    }
                }

                void B(int n)
                {
                    var owner = MemoryPool<byte>.Shared.Rent(n);
                    owner.Dispose();
                }
            }
            """;
        const string second = """
            class Second
            {
                void C(int n)
                {
                    var work = ArrayPool<int>.Shared.Rent(n);
                    ArrayPool<int>.Shared.Return(work);
                    {|PP0102:ArrayPool<int>.Shared.Return(work)|};
                }
            }
            """;
        const string secondFixed = """
            class Second
            {
                void C(int n)
                {
                    var work = ArrayPool<int>.Shared.Rent(n);
                    ArrayPool<int>.Shared.Return(work);
                }
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)], equivalenceKey: EquivalenceKeys.RemoveSecondGiveBack);
    }
}
