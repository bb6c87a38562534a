using System.Linq;
using System.Threading.Tasks;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0103UseAfterGiveBackAnalyzer, PoolRules.CodeFixes.PP0005MovePutAfterLastUseCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0103MoveGiveBackAfterLastUseCodeFixTests
{
    [Fact]
    public Task Returned_value_is_read_before_the_return_to_the_pool()
    {
        const string source = """
            class Codec
            {
                byte First(int n)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    buffer[0] = 7;
                    ArrayPool<byte>.Shared.Return(buffer);
                    return {|PP0103:buffer|}[0];
                }
            }
            """;
        const string fixedSource = """
            class Codec
            {
                byte First(int n)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    buffer[0] = 7;
                    var result = buffer[0];
                    ArrayPool<byte>.Shared.Return(buffer);
                    return result;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.MoveGiveBackAfterLastUse);
    }

    [Fact]
    public Task Return_moves_after_the_last_use_of_a_view()
    {
        const string source = """
            class Codec
            {
                void Clear(int n)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    var span = buffer.AsSpan(0, n);
                    ArrayPool<byte>.Shared.Return(buffer);
                    {|PP0103:span|}.Fill(0);
                    {|PP0103:span|}[0] = 1;
                    Console.WriteLine(n);
                }
            }
            """;
        const string fixedSource = """
            class Codec
            {
                void Clear(int n)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    var span = buffer.AsSpan(0, n);
                    span.Fill(0);
                    span[0] = 1;
                    ArrayPool<byte>.Shared.Return(buffer);
                    Console.WriteLine(n);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public async Task Dispose_moves_after_the_last_use_of_the_owners_memory()
    {
        // The use reads the owner, its Memory and that Memory's Span; however many of those the rule reports, one
        // move fixes them all.
        const string source = """
            class Codec
            {
                int Sum(int n)
                {
                    var owner = MemoryPool<int>.Shared.Rent(n);
                    owner.Dispose();
                    owner.Memory.Span.Fill(1);
                    return n;
                }
            }
            """;
        const string fixedSource = """
            class Codec
            {
                int Sum(int n)
                {
                    var owner = MemoryPool<int>.Shared.Rent(n);
                    owner.Memory.Span.Fill(1);
                    owner.Dispose();
                    return n;
                }
            }
            """;
        var document = FixHarness.Document(source);
        var diagnostic = (await FixHarness.DiagnosticsAsync(document)).First(d => d.Id == "PP0103");
        var action = Assert.Single(await FixHarness.ActionsAsync(document, diagnostic));
        Assert.Equal(EquivalenceKeys.MoveGiveBackAfterLastUse, action.EquivalenceKey);
        var fixedDocument = await FixHarness.ApplyAsync(document, action);
        Assert.Equal(Verify.Usings + fixedSource, (await fixedDocument.GetTextAsync()).ToString());
        Assert.DoesNotContain(await FixHarness.DiagnosticsAsync(fixedDocument), d => d.Id.StartsWith("PP", System.StringComparison.Ordinal));
    }

    [Fact]
    public Task Pooled_object_used_after_its_return_goes_back_after_the_use()
    {
        const string source = """
            using System.Text;
            using Microsoft.Extensions.ObjectPool;

            class Probe
            {
                string Describe(ObjectPool<StringBuilder> pool, int value)
                {
                    var sb = pool.Get();
                    sb.Append(value);
                    pool.Return(sb);
                    return {|PP0103:sb|}.ToString();
                }
            }
            """;
        const string fixedSource = """
            using System.Text;
            using Microsoft.Extensions.ObjectPool;

            class Probe
            {
                string Describe(ObjectPool<StringBuilder> pool, int value)
                {
                    var sb = pool.Get();
                    sb.Append(value);
                    var result = sb.ToString();
                    pool.Return(sb);
                    return result;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Returning_the_rented_array_itself_after_its_return_gets_no_fix()
    {
        // The caller would use it after any give-back here; only keeping it (no Return) is right, and that is a choice.
        const string source = """
            class Codec
            {
                byte[] Take(int n)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    ArrayPool<byte>.Shared.Return(buffer);
                    return {|PP0103:buffer|};
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Task_escaping_the_finally_that_gives_the_buffer_back_gets_no_fix()
    {
        // Only awaiting the task inside the try (or making the method async) fixes this; that is the author's call.
        const string source = """
            using System.IO;

            class Writer
            {
                Task Write(Stream stream, int length)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(length);
                    try
                    {
                        return {|PP0103:stream.WriteAsync(buffer, 0, length)|};
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Fix_all_moves_every_early_give_back_in_every_document()
    {
        const string first = """
            class First
            {
                byte A(int n)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    ArrayPool<byte>.Shared.Return(buffer);
                    return {|PP0103:buffer|}[0];
                }

                void B(int n)
                {
                    var buffer = ArrayPool<char>.Shared.Rent(n);
                    var span = buffer.AsSpan();
                    ArrayPool<char>.Shared.Return(buffer);
                    {|PP0103:span|}.Clear();
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                byte A(int n)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(n);
                    var result = buffer[0];
                    ArrayPool<byte>.Shared.Return(buffer);
                    return result;
                }

                void B(int n)
                {
                    var buffer = ArrayPool<char>.Shared.Rent(n);
                    var span = buffer.AsSpan();
                    span.Clear();
                    ArrayPool<char>.Shared.Return(buffer);
                }
            }
            """;
        const string second = """
            class Second
            {
                void C(int n)
                {
                    var buffer = ArrayPool<int>.Shared.Rent(n);
                    ArrayPool<int>.Shared.Return(buffer);
                    {|PP0103:buffer|}[0] = n;
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
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)], equivalenceKey: EquivalenceKeys.MoveGiveBackAfterLastUse);
    }
}
