using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0002DoublePutAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0002DoublePutTests
{
    // ---- double puts -------------------------------------------------------------------------------------------

    [Fact]
    public Task Put_after_put_names_the_first_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                {|#1:pool.PutFullPage(page, false)|};
                {|#0:pool.PutFullPage(page, false)|};
            }
        }
        """,
        V.Diagnostic("PP0002").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "put back", "put back to its pool", 17));

    [Fact]
    public Task Put_after_release() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.ReleasePage(page);
                {|PP0002:pool.RecycleDirect(page)|};
            }
        }
        """);

    [Fact]
    public Task Release_after_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.PutPage(page, 128, false);
                {|PP0002:pool.ReleasePage(page)|};
            }
        }
        """);

    [Fact]
    public Task Release_after_release() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.ReleasePage(page);
                {|PP0002:pool.ReleasePage(page)|};
                page.Put();
            }
        }
        """);

    [Fact]
    public Task Page_put_twice_after_release() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.ReleasePage(page);
                page.Put();
                {|PP0002:page.Put()|};
            }
        }
        """);

    [Fact]
    public Task Page_put_after_pool_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.PutFullPage(page, false);
                {|PP0002:page.Put()|};
            }
        }
        """);

    [Fact]
    public Task Put_on_one_branch_then_again_after_the_merge() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, bool error)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                if (error)
                {
                    pool.RecycleDirect(page);
                }

                {|PP0002:pool.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task Put_through_an_alias() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                var alias = page;
                pool.PutFullPage(alias, false);
                {|PP0002:pool.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task Put_in_try_and_again_in_finally() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                try
                {
                    page.Span.Clear();
                    pool.PutFullPage(page, false);
                }
                finally
                {
                    {|PP0002:pool.PutFullPage(page, false)|};
                }
            }
        }
        """);

    [Fact]
    public Task Put_in_a_loop_of_the_same_page() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, int n)
            {
                var page = pool.DevAllocPages()!;
                for (var i = 0; i < n; i++)
                {
                    {|PP0002:pool.PutFullPage(page, false)|};
                }
            }
        }
        """);

    [Fact]
    public Task Source_helper_that_puts_counts_as_the_first_put() => V.AnalyzerAsync("""
        class Rx
        {
            static void Recycle(PagePool pool, Page page) => pool.RecycleDirect(page);

            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                Recycle(pool, page);
                {|PP0002:pool.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task Parameter_put_twice() => V.AnalyzerAsync("""
        class Rx
        {
            void Free(PagePool pool, Page page)
            {
                pool.PutFullPage(page, false);
                {|PP0002:pool.RecycleDirect(page)|};
            }
        }
        """);

    [Fact]
    public Task Switch_arm_puts_and_falls_into_a_second_put() => V.AnalyzerAsync("""
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
                    case XdpAction.Pass:
                        break;
                }

                {|PP0002:pool.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task Double_put_inside_a_poll_lambda() => V.AnalyzerAsync("""
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
                {|PP0002:pool.RecycleDirect(page)|};
                return 1;
            });
        }
        """);

    [Fact]
    public Task Double_put_after_await() => V.AnalyzerAsync("""
        class Rx
        {
            async Task FillAsync(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.PutFullPage(page, false);
                await Task.Yield();
                {|PP0002:pool.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task Drained_slot_page_put_twice() => V.AnalyzerAsync("""
        class Rx
        {
            readonly Page?[] _ring = new Page?[8];

            void Drain(PagePool pool, int i)
            {
                var page = _ring[i];
                _ring[i] = null;
                if (page is null)
                {
                    return;
                }

                pool.PutFullPage(page, false);
                {|PP0002:pool.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task Kernel_poller_with_the_error_recycle_doubled() => V.AnalyzerAsync(
        KernelPoller.Correct.Replace(KernelPoller.ErrorRecycle, "_pool.RecycleDirect(page); {|PP0002:_pool.RecycleDirect(page)|};"));

    [Fact]
    public Task Kernel_poller_with_the_drop_recycle_doubled() => V.AnalyzerAsync(
        KernelPoller.Correct.Replace(KernelPoller.DropRecycle, "_pool.RecycleDirect(page); {|PP0002:_pool.RecycleDirect(page)|};"));

    [Fact]
    public Task Kernel_poller_with_the_release_doubled() => V.AnalyzerAsync(
        KernelPoller.Correct.Replace(KernelPoller.Release, "_pool.ReleasePage(page); {|PP0002:_pool.ReleasePage(page)|};"));

    [Fact]
    public Task Kernel_poller_that_recycles_after_the_release() => V.AnalyzerAsync(
        KernelPoller.Correct.Replace(KernelPoller.Release, "_pool.ReleasePage(page); {|PP0002:_pool.RecycleDirect(page)|};"));

    // ---- single puts -------------------------------------------------------------------------------------------

    [Fact]
    public Task Single_put_on_each_branch() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, bool error)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                if (error)
                {
                    pool.RecycleDirect(page);
                }
                else
                {
                    pool.PutFullPage(page, false);
                }
            }
        }
        """);

    [Fact]
    public Task Release_then_page_put_is_the_correct_sequence() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.ReleasePage(page);
                page.Put();
            }
        }
        """);

    [Fact]
    public Task Put_then_return_then_put_on_other_path() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, bool error)
            {
                var page = pool.DevAllocPages()!;
                if (error)
                {
                    pool.RecycleDirect(page);
                    return;
                }

                pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Each_loop_iteration_puts_its_own_page() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, int n)
            {
                for (var i = 0; i < n; i++)
                {
                    var page = pool.DevAllocPages();
                    if (page is not null)
                    {
                        pool.PutFullPage(page, false);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Reassigned_variable_puts_a_new_page() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.PutFullPage(page, false);
                page = pool.DevAllocPages()!;
                pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Put_in_finally_only() => V.AnalyzerAsync("""
        class Rx
        {
            int Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                try
                {
                    return page.Length;
                }
                finally
                {
                    pool.PutFullPage(page, false);
                }
            }
        }
        """);

    [Fact]
    public Task Put_in_catch_and_after_try_are_different_paths() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                try
                {
                    page.Span[0] = 1;
                }
                catch (IndexOutOfRangeException)
                {
                    pool.PutFullPage(page, false);
                    throw;
                }

                pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Switch_with_one_put_per_arm() => V.AnalyzerAsync("""
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
                    case XdpAction.Pass:
                        pool.ReleasePage(page);
                        page.Put();
                        break;
                    default:
                        pool.PutFullPage(page, false);
                        break;
                }
            }
        }
        """);

    [Fact]
    public Task Handed_on_page_is_not_put_here() => V.AnalyzerAsync("""
        class Rx
        {
            Page? _current;

            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                _current = page;
                var old = _current;
                _current = null;
                pool.PutFullPage(old, false);
            }
        }
        """);

    [Fact]
    public Task Put_of_two_different_pages() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var a = pool.DevAllocPages()!;
                var b = pool.DevAllocPages()!;
                pool.PutFullPage(a, false);
                pool.PutFullPage(b, false);
            }
        }
        """);

    [Fact]
    public Task Null_page_path_skips_the_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, Page? page)
            {
                if (page == null)
                {
                    return;
                }

                pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Helper_that_borrows_is_not_a_put() => V.AnalyzerAsync("""
        class Rx
        {
            static int Inspect(Page page) => page.Length;

            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                Inspect(page);
                pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Put_in_each_of_two_lambdas_is_not_a_double_put_here() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var a = pool.DevAllocPages();
                var b = pool.DevAllocPages();
                Action first = () => { if (a is not null) pool.PutFullPage(a, false); };
                Action second = () => { if (b is not null) pool.PutFullPage(b, false); };
                first();
                second();
            }
        }
        """);

    [Fact]
    public Task Loop_that_recycles_and_allocates_the_next_page_into_the_same_variable() => V.AnalyzerAsync("""
        class Rx
        {
            void Churn(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                for (var i = 0; i < 1000; i++)
                {
                    pool.RecycleDirect(page);
                    page = pool.DevAllocPages()!;
                }

                pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Kernel_napi_poller_written_correctly_has_no_double_put() => V.AnalyzerAsync(KernelPoller.Correct);

    [Fact]
    public Task Second_put_through_a_helper_that_puts_is_a_double_put() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool _pool = PagePool.Create(new PagePoolParams());

            void Recycle(Page page) => _pool.PutFullPage(page, allowDirect: false);

            void Complete()
            {
                var page = _pool.DevAllocPages()!;
                Recycle(page);
                {|PP0002:Recycle(page)|};
            }
        }
        """);

    [Fact]
    public Task Local_function_that_puts_the_captured_page_counts_as_a_put() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Poll(PagePool pool, bool error)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                if (error)
                {
                    Drop();
                }

                {|PP0002:Drop()|};

                void Drop() => pool.RecycleDirect(page);
            }
        }
        """);

    [Fact]
    public Task In_place_lambda_that_puts_the_captured_page_counts_as_a_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Complete(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                Action free = () => pool.PutFullPage(page, allowDirect: false);
                free();
                {|PP0002:pool.PutFullPage(page, allowDirect: false)|};
            }
        }
        """);

    [Fact]
    public Task Helper_that_drops_the_reference_after_a_release_is_not_a_second_put() => V.AnalyzerAsync("""
        class Rx
        {
            static void NetifReceive(Page page) => page.Put();

            void Pass(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                pool.ReleasePage(page);
                NetifReceive(page);
            }
        }
        """);

    [Fact]
    public Task Helper_that_drops_the_reference_then_a_put_is_a_double_put() => V.AnalyzerAsync("""
        class Rx
        {
            static void NetifReceive(Page page) => page.Put();

            void Pass(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.ReleasePage(page);
                NetifReceive(page);
                {|PP0002:pool.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task Helper_that_puts_to_the_pool_after_a_release_is_still_a_double_put() => V.AnalyzerAsync("""
        class Rx
        {
            static void Recycle(Page page) => page.Pool!.PutFullPage(page, false);

            void Pass(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.ReleasePage(page);
                {|PP0002:Recycle(page)|};
            }
        }
        """);

    [Fact]
    public Task Local_function_that_drops_the_captured_page_after_a_release_is_not_a_second_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Pass(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                pool.ReleasePage(page);
                Deliver();

                void Deliver() => page.Put();
            }
        }
        """);
}
