using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0104WrongPoolAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0104WrongPoolTests
{
    [Fact]
    public Task Private_pool_rental_returned_to_the_shared_pool_names_both() => V.AnalyzerAsync("""
        using System.Buffers;

        class Codec
        {
            private readonly ArrayPool<byte> _pool = ArrayPool<byte>.Create();

            void Work(int n)
            {
                var buffer = {|#1:_pool.Rent(n)|};
                {|#0:ArrayPool<byte>.Shared.Return(buffer)|};
            }
        }
        """,
        V.Diagnostic("PP0104").WithLocation(0).WithLocation(1).WithArguments("Rental 'buffer'", "_pool", "ArrayPool<byte>.Shared"));

    [Fact]
    public Task Rental_returned_to_another_pool_field_or_local_pool_is_reported() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.Text;
        using Microsoft.Extensions.ObjectPool;

        class Two
        {
            private readonly ArrayPool<byte> _small = ArrayPool<byte>.Create(1024, 8);
            private readonly ArrayPool<byte> _large = ArrayPool<byte>.Create();
            private readonly ObjectPool<StringBuilder> _a = new DefaultObjectPoolProvider().CreateStringBuilderPool();
            private readonly ObjectPool<StringBuilder> _b = new DefaultObjectPoolProvider().CreateStringBuilderPool();

            void Work(int n)
            {
                var buffer = _small.Rent(n);
                {|PP0104:_large.Return(buffer)|};

                var mine = ArrayPool<byte>.Create();
                var other = mine.Rent(n);
                {|PP0104:ArrayPool<byte>.Shared.Return(other)|};

                var sb = _a.Get();
                {|PP0104:_b.Return(sb)|};
            }
        }
        """);

    // ---- same pool ---------------------------------------------------------------------------------------------

    [Fact]
    public Task Same_pool_through_a_local_alias_or_a_property_is_fine() => V.AnalyzerAsync("""
        using System.Buffers;

        class Codec
        {
            private readonly ArrayPool<byte> _pool = ArrayPool<byte>.Create();

            ArrayPool<byte> Pool => _pool;

            void Work(int n)
            {
                var shared = ArrayPool<byte>.Shared;
                var a = shared.Rent(n);
                ArrayPool<byte>.Shared.Return(a);

                var b = _pool.Rent(n);
                Pool.Return(b);
            }
        }
        """);

    [Fact]
    public Task Pool_parameter_may_be_the_shared_pool_and_is_not_reported() => V.AnalyzerAsync("""
        using System.Buffers;

        class Codec
        {
            void Work(ArrayPool<byte>? pool, int n)
            {
                var p = pool ?? ArrayPool<byte>.Shared;
                var a = p.Rent(n);
                ArrayPool<byte>.Shared.Return(a);

                var b = ArrayPool<byte>.Shared.Rent(n);
                (pool ?? ArrayPool<byte>.Shared).Return(b);
            }
        }
        """);
}
