using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0008WrongPoolAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0008WrongPoolTests
{
    // ---- wrong pool --------------------------------------------------------------------------------------------

    [Fact]
    public Task Put_to_another_parameter_names_both_pools() => V.AnalyzerAsync("""
        class Rx
        {
            void Move(PagePool rx, PagePool tx)
            {
                var page = {|#1:rx.DevAllocPages()|}!;
                {|#0:tx.PutFullPage(page, false)|};
            }
        }
        """,
        V.Diagnostic("PP0008").WithLocation(0).WithLocation(1).WithArguments("'page'", "rx", "tx"));

    [Fact]
    public Task Put_to_another_field() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool _rx;
            readonly PagePool _tx;

            Rx(PagePool rx, PagePool tx)
            {
                _rx = rx;
                _tx = tx;
            }

            void Fill()
            {
                var page = _rx.DevAllocPages();
                if (page is not null)
                {
                    {|PP0008:_tx.RecycleDirect(page)|};
                }
            }
        }
        """);

    [Fact]
    public Task Release_to_another_pool() => V.AnalyzerAsync("""
        class Rx
        {
            void Move(PagePool rx, PagePool tx)
            {
                var page = rx.DevAllocPages()!;
                {|PP0008:tx.ReleasePage(page)|};
                page.Put();
            }
        }
        """);

    [Fact]
    public Task Put_page_with_sync_size_to_another_pool() => V.AnalyzerAsync("""
        class Rx
        {
            void Move(PagePool rx, PagePool tx)
            {
                var page = rx.AllocPages(AllocFlags.Atomic)!;
                {|PP0008:tx.PutPage(page, 1500, false)|};
            }
        }
        """);

    [Fact]
    public Task Fragment_put_to_another_pool() => V.AnalyzerAsync("""
        class Rx
        {
            void Move(PagePool rx, PagePool tx)
            {
                var page = rx.AllocFrag(512, out _)!;
                {|PP0008:tx.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task Field_pool_against_parameter_pool() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool _pool = PagePool.Create(new PagePoolParams());

            void Fill(PagePool other)
            {
                var page = _pool.DevAllocPages()!;
                {|PP0008:other.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task Local_alias_of_a_field_against_another_field() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool _rx = PagePool.Create(new PagePoolParams());
            readonly PagePool _tx = PagePool.Create(new PagePoolParams());

            void Fill()
            {
                var pool = _rx;
                var page = pool.DevAllocPages()!;
                {|PP0008:_tx.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task Property_pools_of_the_same_object() => V.AnalyzerAsync("""
        class Queues
        {
            public PagePool Rx { get; } = PagePool.Create(new PagePoolParams());
            public PagePool Tx { get; } = PagePool.Create(new PagePoolParams());

            void Fill()
            {
                var page = Rx.DevAllocPages()!;
                {|PP0008:Tx.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task Wrong_pool_on_one_branch() => V.AnalyzerAsync("""
        class Rx
        {
            void Move(PagePool rx, PagePool tx, bool fast)
            {
                var page = rx.DevAllocPages()!;
                if (fast)
                {
                    {|PP0008:tx.RecycleDirect(page)|};
                }
                else
                {
                    rx.PutFullPage(page, false);
                }
            }
        }
        """);

    [Fact]
    public Task Wrong_pool_through_a_page_alias() => V.AnalyzerAsync("""
        class Rx
        {
            void Move(PagePool rx, PagePool tx)
            {
                var page = rx.DevAllocPages()!;
                var copy = page;
                {|PP0008:tx.PutFullPage(copy, false)|};
            }
        }
        """);

    [Fact]
    public Task Wrong_pool_in_finally() => V.AnalyzerAsync("""
        class Rx
        {
            void Move(PagePool rx, PagePool tx)
            {
                var page = rx.DevAllocPages()!;
                try
                {
                    page.Span.Clear();
                }
                finally
                {
                    {|PP0008:tx.PutFullPage(page, false)|};
                }
            }
        }
        """);

    [Fact]
    public Task Wrong_pool_in_a_loop() => V.AnalyzerAsync("""
        class Rx
        {
            void Move(PagePool rx, PagePool tx, int n)
            {
                for (var i = 0; i < n; i++)
                {
                    var page = rx.DevAllocPages();
                    if (page is null)
                    {
                        break;
                    }

                    {|PP0008:tx.PutFullPage(page, false)|};
                }
            }
        }
        """);

    [Fact]
    public Task Wrong_pool_inside_a_poll_lambda() => V.AnalyzerAsync("""
        class Rx
        {
            Napi Create(NetDevice dev, PagePool rx, PagePool tx) => new Napi(dev, (napi, budget) =>
            {
                var page = rx.DevAllocPages();
                if (page is null)
                {
                    return 0;
                }

                {|PP0008:tx.RecycleDirect(page)|};
                return 1;
            });
        }
        """);

    [Fact]
    public Task Wrong_pool_after_await() => V.AnalyzerAsync("""
        class Rx
        {
            async Task MoveAsync(PagePool rx, PagePool tx)
            {
                var page = rx.DevAllocPages()!;
                await Task.Yield();
                {|PP0008:tx.PutFullPage(page, false)|};
            }
        }
        """);

    [Fact]
    public Task Wrong_pool_in_a_switch_arm() => V.AnalyzerAsync("""
        class Rx
        {
            void Handle(PagePool rx, PagePool tx, XdpAction verdict)
            {
                var page = rx.DevAllocPages()!;
                switch (verdict)
                {
                    case XdpAction.Drop:
                        rx.RecycleDirect(page);
                        break;
                    default:
                        {|PP0008:tx.PutFullPage(page, false)|};
                        break;
                }
            }
        }
        """);

    [Fact]
    public Task Kernel_poller_that_recycles_to_another_pool() => V.AnalyzerAsync(
        KernelPoller.Correct
            .Replace("private readonly PagePool _pool;", "private readonly PagePool _pool;\n    private readonly PagePool _other = PagePool.Create(new PagePoolParams());")
            .Replace("var fresh = _pool.DevAllocPages();", "var fresh = _pool.DevAllocPages();\n                var spare = _pool.DevAllocPages();\n                if (spare is not null) {|PP0008:_other.PutFullPage(spare, false)|};"));

    // ---- right pool or unknown ---------------------------------------------------------------------------------

    [Fact]
    public Task Same_parameter_pool() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages()!;
                pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Same_field_pool_with_and_without_this() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool _pool = PagePool.Create(new PagePoolParams());

            void Fill()
            {
                var page = this._pool.DevAllocPages()!;
                _pool.RecycleDirect(page);
            }
        }
        """);

    [Fact]
    public Task Local_alias_of_the_same_field() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool _pool = PagePool.Create(new PagePoolParams());

            void Fill()
            {
                var pool = _pool;
                var page = pool.DevAllocPages()!;
                _pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Pool_from_a_method_call_is_unknown() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool[] _pools = new PagePool[4];

            PagePool PoolOf(int q) => _pools[q];

            void Fill(PagePool other, int q)
            {
                var page = PoolOf(q).DevAllocPages()!;
                other.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Pool_array_elements_are_unknown() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool[] _pools = new PagePool[4];

            void Fill(int q, int r)
            {
                var page = _pools[q].DevAllocPages()!;
                _pools[r].PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Page_pool_property_is_unknown() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool rx)
            {
                var page = rx.DevAllocPages()!;
                page.Pool?.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Page_from_a_parameter_has_no_known_pool() => V.AnalyzerAsync("""
        class Rx
        {
            void Free(PagePool tx, Page page) => tx.PutFullPage(page, false);
        }
        """);

    [Fact]
    public Task Same_pool_on_every_branch() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool rx, bool fast)
            {
                var page = rx.DevAllocPages()!;
                if (fast)
                {
                    rx.RecycleDirect(page);
                }
                else
                {
                    rx.PutPage(page, -1, false);
                }
            }
        }
        """);

    [Fact]
    public Task Each_page_to_its_own_pool() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool rx, PagePool tx)
            {
                var a = rx.DevAllocPages()!;
                var b = tx.DevAllocPages()!;
                tx.PutFullPage(b, false);
                rx.PutFullPage(a, false);
            }
        }
        """);

    [Fact]
    public Task Released_page_is_not_put_to_a_pool_again() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool rx)
            {
                var page = rx.DevAllocPages()!;
                rx.ReleasePage(page);
                page.Put();
            }
        }
        """);

    [Fact]
    public Task Same_property_pool() => V.AnalyzerAsync("""
        class Queue
        {
            public PagePool Pool { get; } = PagePool.Create(new PagePoolParams());

            void Fill()
            {
                var page = Pool.DevAllocPages()!;
                Pool.RecycleDirect(page);
            }
        }
        """);

    [Fact]
    public Task Same_pool_in_finally() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool rx)
            {
                var page = rx.DevAllocPages()!;
                try
                {
                    page.Span.Clear();
                }
                finally
                {
                    rx.PutFullPage(page, false);
                }
            }
        }
        """);

    [Fact]
    public Task Same_pool_inside_a_poll_lambda() => V.AnalyzerAsync("""
        class Rx
        {
            Napi Create(NetDevice dev, PagePool rx) => new Napi(dev, (napi, budget) =>
            {
                var page = rx.DevAllocPages();
                if (page is null)
                {
                    return 0;
                }

                rx.RecycleDirect(page);
                return 1;
            });
        }
        """);

    [Fact]
    public Task Same_pool_of_another_object_named_the_same_way() => V.AnalyzerAsync("""
        class Queue
        {
            public PagePool Pool { get; } = PagePool.Create(new PagePoolParams());
        }

        class Rx
        {
            void Fill(Queue q)
            {
                var page = q.Pool.DevAllocPages()!;
                q.Pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Kernel_napi_poller_written_correctly_puts_to_its_own_pool() => V.AnalyzerAsync(KernelPoller.Correct);

    // ---- the page's own pool and properties that return the pool field ---------------------------------------------

    [Fact]
    public Task Put_through_the_pages_own_pool_is_the_right_pool() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool _rx = PagePool.Create(new PagePoolParams());

            void Complete()
            {
                var page = _rx.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                page.Pool!.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Property_that_returns_the_pool_field_is_that_pool() => V.AnalyzerAsync("""
        class RxQueue
        {
            readonly PagePool _pool = PagePool.Create(new PagePoolParams());

            public PagePool Pool => _pool;

            public PagePool Same
            {
                get { return this._pool; }
            }

            void Refill()
            {
                var page = Pool.DevAllocPages()!;
                _pool.PutFullPage(page, false);
                var next = _pool.DevAllocPages()!;
                Same.RecycleDirect(next);
            }
        }
        """);

    [Fact]
    public Task Property_that_returns_another_pool_field_is_another_pool() => V.AnalyzerAsync("""
        class RxQueue
        {
            readonly PagePool _rx = PagePool.Create(new PagePoolParams());
            readonly PagePool _tx = PagePool.Create(new PagePoolParams());

            PagePool Tx => _tx;

            void Refill()
            {
                var page = _rx.DevAllocPages()!;
                {|PP0008:Tx.PutFullPage(page, false)|};
            }
        }
        """);
}
