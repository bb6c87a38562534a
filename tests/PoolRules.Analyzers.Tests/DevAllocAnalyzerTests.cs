using System.Threading.Tasks;
using Xunit;
using Leak = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0001PageLeakAnalyzer>;
using DoublePut = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0002DoublePutAnalyzer>;
using UseAfterPut = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0005UseAfterPutAnalyzer>;
using WrongPool = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0008WrongPoolAnalyzer>;

namespace PoolRules.Analyzers.Tests;

/// <summary><c>DevAlloc(ref size, out offset)</c> (page_pool_dev_alloc, 6.7) is an allocation like the other three.</summary>
public sealed class DevAllocAnalyzerTests
{
    [Fact]
    public Task A_buffer_from_DevAlloc_that_is_not_put_leaks() => Leak.AnalyzerAsync("""
        class Rx
        {
            int Fill(PagePool pool)
            {
                var size = 1500;
                var page = {|PP0001:pool.DevAlloc(ref size, out var offset)|};
                return page is null ? -1 : offset + size;
            }
        }
        """);

    [Fact]
    public Task A_buffer_from_DevAlloc_put_on_every_path_is_clean() => Leak.AnalyzerAsync("""
        class Rx
        {
            int Fill(PagePool pool, bool drop)
            {
                var size = 3000;
                var page = pool.DevAlloc(ref size, out var offset);
                if (page is null)
                {
                    return 0;
                }

                page.Span.Slice(offset, size).Clear();
                pool.PutFullPage(page, allowDirect: false);
                return size;
            }
        }
        """);

    [Fact]
    public Task A_buffer_from_DevAlloc_put_twice() => DoublePut.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var size = 512;
                var page = pool.DevAlloc(ref size, out _)!;
                pool.PutFullPage(page, false);
                {|PP0002:pool.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task A_buffer_from_DevAlloc_used_after_its_put() => UseAfterPut.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var size = 512;
                var page = pool.DevAlloc(ref size, out var offset)!;
                pool.PutFullPage(page, false);
                {|PP0005:page|}.Span.Slice(offset, size).Clear();
            }
        }
        """);

    [Fact]
    public Task A_buffer_from_DevAlloc_put_to_another_pool() => WrongPool.AnalyzerAsync("""
        class Rx
        {
            void Move(PagePool rx, PagePool tx)
            {
                var size = 4096;
                var page = rx.DevAlloc(ref size, out _)!;
                {|PP0008:tx.PutFullPage(page, false)|};
            }
        }
        """);
}
