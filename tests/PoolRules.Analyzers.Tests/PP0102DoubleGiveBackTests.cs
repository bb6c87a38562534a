using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0102DoubleGiveBackAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0102DoubleGiveBackTests
{
    // Shape from dotnet/orleans ResourceOptimizedPlacementDirector (current code): the rental's span goes to a local
    // function whose parameter has the rental's name, then the rental goes back once.
    [Fact]
    public Task A_view_passed_to_a_helper_then_one_return_is_not_a_double_return() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        class Picker
        {
            int Pick(int n)
            {
                var scores = ArrayPool<int>.Shared.Rent(n);
                var pick = Best(scores.AsSpan(0, n));
                ArrayPool<int>.Shared.Return(scores);
                return pick;

                int Best(Span<int> scores)
                {
                    var count = 0;
                    for (var i = 0; i < scores.Length; i++)
                    {
                        scores[count++] = i * n;
                    }

                    scores = scores[0..count];
                    var best = 0;
                    foreach (var score in scores)
                    {
                        best = Math.Max(best, score);
                    }

                    return best;
                }
            }
        }
        """);

    [Fact]
    public Task Return_in_try_and_again_in_finally_is_reported_at_the_second_with_the_first() => V.AnalyzerAsync("""
        using System.Buffers;

        class Encoder
        {
            void Encode(int n)
            {
                var work = ArrayPool<byte>.Shared.Rent(n);
                try
                {
                    work[0] = 1;
                    {|#1:ArrayPool<byte>.Shared.Return(work)|};
                }
                finally
                {
                    {|#0:ArrayPool<byte>.Shared.Return(work)|};
                }
            }
        }
        """,
        V.Diagnostic("PP0102").WithLocation(0).WithLocation(1).WithArguments("Rental 'work'", "17"));

    [Fact]
    public Task Return_on_one_branch_then_unconditionally_is_a_double_return() => V.AnalyzerAsync("""
        using System.Buffers;

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
        """);

    [Fact]
    public Task Owner_disposed_twice_and_object_returned_twice_are_reported() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.Text;
        using Microsoft.Extensions.ObjectPool;

        class Twice
        {
            void Owner(int n)
            {
                var owner = MemoryPool<byte>.Shared.Rent(n);
                owner.Dispose();
                {|PP0102:owner.Dispose()|};
            }

            void Builder(ObjectPool<StringBuilder> pool)
            {
                var sb = pool.Get();
                pool.Return(sb);
                {|PP0102:pool.Return(sb)|};
            }
        }
        """);

    [Fact]
    public Task Give_back_through_a_helper_then_again_is_a_double_return() => V.AnalyzerAsync("""
        using System.Buffers;

        class Encoder
        {
            void Encode(int n)
            {
                var work = ArrayPool<byte>.Shared.Rent(n);
                Free(work);
                {|PP0102:ArrayPool<byte>.Shared.Return(work)|};
            }

            static void Free(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);
        }
        """);

    [Fact]
    public Task Using_owner_disposed_by_hand_as_well_is_a_double_dispose() => V.AnalyzerAsync("""
        using System.Buffers;

        class Twice
        {
            int Owner(int n)
            {
                using (var {|PP0102:owner = MemoryPool<byte>.Shared.Rent(n)|})
                {
                    owner.Memory.Span[0] = 1;
                    owner.Dispose();
                }

                return n;
            }
        }
        """);

    // ---- no double return --------------------------------------------------------------------------------------

    [Fact]
    public Task Rent_then_return_growth_through_a_local_is_one_return_each() => V.AnalyzerAsync("""
        using System.Buffers;

        class Builder
        {
            char[] Grow(char[] old, int size)
            {
                var grown = ArrayPool<char>.Shared.Rent(size);
                old.AsSpan().CopyTo(grown);
                ArrayPool<char>.Shared.Return(old);
                return grown;
            }

            void Loop(int rounds)
            {
                var buffer = ArrayPool<char>.Shared.Rent(16);
                for (var i = 0; i < rounds; i++)
                {
                    var old = buffer;
                    buffer = ArrayPool<char>.Shared.Rent(old.Length * 2);
                    ArrayPool<char>.Shared.Return(old);
                }

                ArrayPool<char>.Shared.Return(buffer);
            }
        }
        """);

    [Fact]
    public Task Return_inside_a_catch_that_swallows_the_pools_refusal_is_one_return() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        class Queue
        {
            void Release(int n)
            {
                var array = ArrayPool<int>.Shared.Rent(n);
                try
                {
                    ArrayPool<int>.Shared.Return(array);
                }
                catch (ArgumentException)
                {
                    // the pool refused the array; the GC has it
                }
            }
        }
        """);
}
