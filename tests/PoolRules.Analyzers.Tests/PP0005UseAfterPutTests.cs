using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0005UseAfterPutAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0005UseAfterPutTests
{
    // ---- uses after put ----------------------------------------------------------------------------------------

    [Fact]
    public Task Span_after_put_names_the_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                {|#1:pool.PutFullPage(page, false)|};
                {|#0:page|}.Span.Clear();
            }
        }
        """,
        V.Diagnostic("PP0005").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "put back to its pool", 12));

    [Fact]
    public Task Dma_address_after_recycle() => V.AnalyzerAsync("""
        class Rx
        {
            ulong Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.RecycleDirect(page);
                return pool.GetDmaAddress({|PP0005:page|});
            }
        }
        """);

    [Fact]
    public Task Passing_on_after_put() => V.AnalyzerAsync("""
        class Rx
        {
            static void Log(Page page) => Console.WriteLine(page.Length);

            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.PutPage(page, 64, true);
                Log({|PP0005:page|});
            }
        }
        """);

    [Fact]
    public Task Member_access_after_put_through_an_alias() => V.AnalyzerAsync("""
        class Rx
        {
            int Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                var alias = page;
                pool.PutFullPage(page, false);
                return {|PP0005:alias|}.Length;
            }
        }
        """);

    [Fact]
    public Task Use_after_page_put_dropped_the_last_reference() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.ReleasePage(page);
                page.Put();
                {|PP0005:page|}.Span.Clear();
            }
        }
        """);

    [Fact]
    public Task Use_after_put_on_both_branches() => V.AnalyzerAsync("""
        class Rx
        {
            int Fill(PagePool pool, bool direct)
            {
                var page = pool.DevAllocPages()!;
                if (direct)
                {
                    pool.RecycleDirect(page);
                }
                else
                {
                    pool.PutFullPage(page, false);
                }

                return {|PP0005:page|}.RefCount;
            }
        }
        """);

    [Fact]
    public Task Storing_a_put_page_in_a_field() => V.AnalyzerAsync("""
        class Rx
        {
            Page? _last;

            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.PutFullPage(page, false);
                _last = {|PP0005:page|};
            }
        }
        """);

    [Fact]
    public Task Returning_a_put_page() => V.AnalyzerAsync("""
        class Rx
        {
            Page Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.PutFullPage(page, false);
                return {|PP0005:page|};
            }
        }
        """);

    [Fact]
    public Task Use_after_put_in_a_finally_that_ran() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                try
                {
                    page.Span.Clear();
                }
                finally
                {
                    pool.PutFullPage(page, false);
                }

                Console.WriteLine({|PP0005:page|}.Address);
            }
        }
        """);

    [Fact]
    public Task Use_after_a_source_helper_put_it() => V.AnalyzerAsync("""
        class Rx
        {
            static void Recycle(PagePool pool, Page page) => pool.RecycleDirect(page);

            int Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                Recycle(pool, page);
                return {|PP0005:page|}.Length;
            }
        }
        """);

    [Fact]
    public Task Use_after_await_following_the_put() => V.AnalyzerAsync("""
        class Rx
        {
            async Task<int> FillAsync(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.PutFullPage(page, false);
                await Task.Yield();
                return {|PP0005:page|}.Length;
            }
        }
        """);

    [Fact]
    public Task Use_after_put_in_a_switch_arm() => V.AnalyzerAsync("""
        class Rx
        {
            void Handle(PagePool pool, XdpAction verdict)
            {
                var page = pool.DevAllocPages()!;
                switch (verdict)
                {
                    case XdpAction.Drop:
                        pool.RecycleDirect(page);
                        {|PP0005:page|}.Span.Clear();
                        break;
                    default:
                        pool.PutFullPage(page, false);
                        break;
                }
            }
        }
        """);

    [Fact]
    public Task Use_of_a_parameter_after_it_was_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Free(PagePool pool, Page page)
            {
                pool.PutFullPage(page, false);
                Console.WriteLine({|PP0005:page|}.Nid);
            }
        }
        """);

    [Fact]
    public Task Adding_a_put_page_to_a_collection() => V.AnalyzerAsync("""
        class Rx
        {
            readonly List<Page> _spare = new();

            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.PutFullPage(page, false);
                _spare.Add({|PP0005:page|});
            }
        }
        """);

    [Fact]
    public Task Use_after_put_inside_a_poll_lambda() => V.AnalyzerAsync("""
        class Rx
        {
            Napi Create(NetDevice dev, PagePool pool) => new Napi(dev, (napi, budget) =>
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return 0;
                }

                pool.RecycleDirect(page);
                return {|PP0005:page|}.Length;
            });
        }
        """);

    [Fact]
    public Task Kernel_poller_that_reads_the_page_after_the_drop_recycle() => V.AnalyzerAsync(
        KernelPoller.Correct.Replace(KernelPoller.DropRecycle, "_pool.RecycleDirect(page); Console.WriteLine({|PP0005:page|}.Length);"));

    [Fact]
    public Task Kernel_poller_that_builds_the_skb_after_recycling_instead_of_releasing() => V.AnalyzerAsync(
        KernelPoller.Correct.Replace(KernelPoller.Release + "\n                BuildSkb(page);", "_pool.RecycleDirect(page);\n                BuildSkb({|PP0005:page|});"));

    // ---- correct uses ------------------------------------------------------------------------------------------

    [Fact]
    public Task Use_before_put() => V.AnalyzerAsync("""
        class Rx
        {
            int Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                var length = page.Length;
                page.Span.Clear();
                var dma = pool.GetDmaAddress(page);
                pool.PutFullPage(page, false);
                return length + (int)dma;
            }
        }
        """);

    [Fact]
    public Task Use_between_release_and_page_put_is_the_skb_path() => V.AnalyzerAsync("""
        class Rx
        {
            static void BuildSkb(Page page) => Console.WriteLine(page.Length);

            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.ReleasePage(page);
                page.Span.Clear();
                BuildSkb(page);
                page.Put();
            }
        }
        """);

    [Fact]
    public Task Use_on_the_branch_that_did_not_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, bool drop)
            {
                var page = pool.DevAllocPages()!;
                if (drop)
                {
                    pool.RecycleDirect(page);
                    return;
                }

                page.Span.Clear();
                pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Use_after_put_on_only_some_paths_is_not_reported() => V.AnalyzerAsync("""
        class Rx
        {
            int Fill(PagePool pool, bool drop, Page other)
            {
                var page = pool.DevAllocPages()!;
                if (drop)
                {
                    pool.RecycleDirect(page);
                    page = other;
                }

                return page.Length;
            }
        }
        """);

    [Fact]
    public Task Variable_reassigned_with_a_new_page_after_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.PutFullPage(page, false);
                page = pool.DevAllocPages()!;
                page.Span.Clear();
                pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Null_test_after_put_is_not_a_use() => V.AnalyzerAsync("""
        class Rx
        {
            Page? _current;

            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.PutFullPage(page, false);
                if (page != null && _current == null)
                {
                    Console.WriteLine("put");
                }
            }
        }
        """);

    [Fact]
    public Task Each_loop_iteration_uses_its_own_page() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, int n)
            {
                for (var i = 0; i < n; i++)
                {
                    var page = pool.DevAllocPages();
                    if (page is null)
                    {
                        continue;
                    }

                    page.Span.Clear();
                    pool.PutFullPage(page, false);
                }
            }
        }
        """);

    [Fact]
    public Task Use_in_try_with_put_in_finally() => V.AnalyzerAsync("""
        class Rx
        {
            int Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                try
                {
                    return page.Span[0];
                }
                finally
                {
                    pool.PutFullPage(page, false);
                }
            }
        }
        """);

    [Fact]
    public Task Borrowing_helper_leaves_the_page_usable() => V.AnalyzerAsync("""
        class Rx
        {
            static int Inspect(Page page) => page.Length;

            int Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                var n = Inspect(page);
                n += page.Length;
                pool.PutFullPage(page, false);
                return n;
            }
        }
        """);

    [Fact]
    public Task Get_before_put_keeps_a_reference_for_the_caller() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                page.Get();
                pool.ReleasePage(page);
                page.Span.Clear();
                page.Put();
            }
        }
        """);

    [Fact]
    public Task Use_in_a_different_switch_arm_than_the_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Handle(PagePool pool, XdpAction verdict)
            {
                var page = pool.DevAllocPages()!;
                switch (verdict)
                {
                    case XdpAction.Drop:
                        pool.RecycleDirect(page);
                        break;
                    default:
                        page.Span.Clear();
                        pool.PutFullPage(page, false);
                        break;
                }
            }
        }
        """);

    [Fact]
    public Task Use_after_await_before_the_put() => V.AnalyzerAsync("""
        class Rx
        {
            async Task<int> FillAsync(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                await Task.Yield();
                var n = page.Length;
                pool.PutFullPage(page, false);
                return n;
            }
        }
        """);

    [Fact]
    public Task Put_page_inside_a_lambda_does_not_poison_the_outer_use() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                page.Span.Clear();
                Action free = () => pool.PutFullPage(page, false);
                free();
            }
        }
        """);

    [Fact]
    public Task Ring_slot_refilled_after_put_is_a_new_page() => V.AnalyzerAsync("""
        class Rx
        {
            readonly Page?[] _ring = new Page?[8];

            void Refill(PagePool pool, int i)
            {
                var page = _ring[i];
                _ring[i] = null;
                if (page is not null)
                {
                    pool.PutFullPage(page, false);
                }

                _ring[i] = pool.DevAllocPages();
                Console.WriteLine(_ring[i]?.Length);
            }
        }
        """);

    [Fact]
    public Task Extra_reference_taken_with_get_outlives_the_pool_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                page.Get();
                pool.PutPage(page, -1, false);
                page.Span[0] = 1;
                page.Put();
            }
        }
        """);

    [Fact]
    public Task Kernel_napi_poller_written_correctly_has_no_use_after_put() => V.AnalyzerAsync(KernelPoller.Correct);

    [Fact]
    public Task Second_put_through_a_helper_that_puts_is_not_also_a_use_after_put() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool _pool = PagePool.Create(new PagePoolParams());

            void Recycle(Page page) => _pool.PutFullPage(page, allowDirect: false);

            void Complete()
            {
                var page = _pool.DevAllocPages()!;
                Recycle(page);
                Recycle(page);
            }
        }
        """);

    [Fact]
    public Task Page_handed_to_a_consuming_helper_after_its_put_is_a_use_after_put() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool _pool = PagePool.Create(new PagePoolParams());
            readonly Queue<Page> _backlog = new();

            void Defer(Page page) => _backlog.Enqueue(page);

            void Complete()
            {
                var page = _pool.DevAllocPages()!;
                _pool.PutFullPage(page, allowDirect: false);
                Defer({|PP0005:page|});
            }
        }
        """);

    [Fact]
    public Task Local_function_that_reads_the_page_after_its_put() => V.AnalyzerAsync("""
        class Rx
        {
            int Complete(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return 0;
                }

                pool.PutFullPage(page, allowDirect: false);
                return {|PP0005:Proto()|};

                int Proto() => page.Span[12];
            }
        }
        """);
}
