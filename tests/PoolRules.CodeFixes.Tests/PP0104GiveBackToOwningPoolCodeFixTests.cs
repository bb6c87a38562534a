using System.Threading.Tasks;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0104WrongPoolAnalyzer, PoolRules.CodeFixes.PP0008PutToOwningPoolCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0104GiveBackToOwningPoolCodeFixTests
{
    [Fact]
    public Task Array_from_a_private_pool_returned_to_shared_goes_back_to_the_private_pool()
    {
        const string source = """
            class Queue
            {
                private readonly ArrayPool<int> _pool = ArrayPool<int>.Create();

                void Grow(int n)
                {
                    var array = _pool.Rent(n);
                    array[0] = n;
                    {|PP0104:ArrayPool<int>.Shared.Return(array)|};
                }
            }
            """;
        const string fixedSource = """
            class Queue
            {
                private readonly ArrayPool<int> _pool = ArrayPool<int>.Create();

                void Grow(int n)
                {
                    var array = _pool.Rent(n);
                    array[0] = n;
                    _pool.Return(array);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.GiveBackToOwningPool);
    }

    [Fact]
    public Task Array_from_shared_returned_to_a_private_pool_goes_back_to_shared_and_keeps_clear()
    {
        const string source = """
            class Queue
            {
                private readonly ArrayPool<int> _pool = ArrayPool<int>.Create();

                void Grow(int n)
                {
                    var array = ArrayPool<int>.Shared.Rent(n);
                    array[0] = n;
                    {|PP0104:_pool.Return(array, clearArray: true)|};
                }
            }
            """;
        const string fixedSource = """
            class Queue
            {
                private readonly ArrayPool<int> _pool = ArrayPool<int>.Create();

                void Grow(int n)
                {
                    var array = ArrayPool<int>.Shared.Rent(n);
                    array[0] = n;
                    ArrayPool<int>.Shared.Return(array, clearArray: true);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Pooled_object_returned_to_another_pool_goes_back_to_its_own()
    {
        const string source = """
            using System.Text;
            using Microsoft.Extensions.ObjectPool;

            class Builders
            {
                private readonly ObjectPool<StringBuilder> _a = new DefaultObjectPoolProvider().CreateStringBuilderPool();
                private readonly ObjectPool<StringBuilder> _b = new DefaultObjectPoolProvider().CreateStringBuilderPool();

                string Describe(int value)
                {
                    var sb = _a.Get();
                    var text = sb.Append(value).ToString();
                    {|PP0104:_b.Return(sb)|};
                    return text;
                }
            }
            """;
        const string fixedSource = """
            using System.Text;
            using Microsoft.Extensions.ObjectPool;

            class Builders
            {
                private readonly ObjectPool<StringBuilder> _a = new DefaultObjectPoolProvider().CreateStringBuilderPool();
                private readonly ObjectPool<StringBuilder> _b = new DefaultObjectPoolProvider().CreateStringBuilderPool();

                string Describe(int value)
                {
                    var sb = _a.Get();
                    var text = sb.Append(value).ToString();
                    _a.Return(sb);
                    return text;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Array_from_a_local_pool_returned_to_shared_goes_back_to_the_local()
    {
        const string source = """
            class Queue
            {
                void Grow(int n)
                {
                    var mine = ArrayPool<int>.Create();
                    var array = mine.Rent(n);
                    {|PP0104:ArrayPool<int>.Shared.Return(array)|};
                }
            }
            """;
        const string fixedSource = """
            class Queue
            {
                void Grow(int n)
                {
                    var mine = ArrayPool<int>.Create();
                    var array = mine.Rent(n);
                    mine.Return(array);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Fix_all_gives_every_rental_back_to_its_own_pool_in_every_document()
    {
        const string first = """
            class First
            {
                private readonly ArrayPool<byte> _small = ArrayPool<byte>.Create(1024, 8);
                private readonly ArrayPool<byte> _large = ArrayPool<byte>.Create();

                void A(int n)
                {
                    var buffer = _small.Rent(n);
                    {|PP0104:_large.Return(buffer)|};
                }

                void B(int n)
                {
                    var buffer = _large.Rent(n);
                    {|PP0104:ArrayPool<byte>.Shared.Return(buffer)|};
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                private readonly ArrayPool<byte> _small = ArrayPool<byte>.Create(1024, 8);
                private readonly ArrayPool<byte> _large = ArrayPool<byte>.Create();

                void A(int n)
                {
                    var buffer = _small.Rent(n);
                    _small.Return(buffer);
                }

                void B(int n)
                {
                    var buffer = _large.Rent(n);
                    _large.Return(buffer);
                }
            }
            """;
        const string second = """
            class Second
            {
                void C(int n)
                {
                    var mine = ArrayPool<char>.Create();
                    var chars = mine.Rent(n);
                    {|PP0104:ArrayPool<char>.Shared.Return(chars)|};
                }
            }
            """;
        const string secondFixed = """
            class Second
            {
                void C(int n)
                {
                    var mine = ArrayPool<char>.Create();
                    var chars = mine.Rent(n);
                    mine.Return(chars);
                }
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)], equivalenceKey: EquivalenceKeys.GiveBackToOwningPool);
    }
}
