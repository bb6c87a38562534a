using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0001PageLeakAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0001PageLeakTests
{
    // ---- leaks -------------------------------------------------------------------------------------------------

    [Fact]
    public Task Page_never_put_leaks_at_the_end_of_the_method() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                page?.Span.Clear();
            }
        }
        """);

    [Fact]
    public Task Message_names_the_variable_and_the_leaking_return() => V.AnalyzerAsync("""
        class Rx
        {
            bool Fill(PagePool pool, bool full)
            {
                var page = {|#0:pool.AllocPages(AllocFlags.Atomic)|};
                if (page is null)
                {
                    return false;
                }

                if (full)
                {
                    {|#1:return false;|}
                }

                pool.PutFullPage(page, false);
                return true;
            }
        }
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "allocated", "when the method returns at line 19"));

    [Fact]
    public Task Discarded_allocation_leaks() => V.AnalyzerAsync("""
        class Rx
        {
            void Warm(PagePool pool)
            {
                {|PP0001:pool.DevAllocPages()|};
            }
        }
        """);

    [Fact]
    public Task Passing_to_an_unknown_method_only_borrows() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                if (page is not null)
                {
                    Console.WriteLine(page.Length);
                    GC.KeepAlive(page);
                }
            }
        }
        """);

    [Fact]
    public Task Overwriting_an_owned_page_leaks_the_first_one() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = {|#0:pool.DevAllocPages()|};
                {|#1:page = pool.DevAllocPages()|};
                if (page is not null)
                {
                    pool.PutFullPage(page, false);
                }
            }
        }
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "allocated", "before the variable is overwritten at line 12"));

    [Fact]
    public Task Allocation_per_loop_iteration_not_put_before_the_next() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, Page?[] ring)
            {
                for (var i = 0; i < ring.Length; i++)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null)
                    {
                        break;
                    }

                    page.Span.Clear();
                }
            }
        }
        """);

    [Fact]
    public Task Explicit_throw_while_owning_a_page_leaks() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, int length)
            {
                var page = {|#0:pool.DevAllocPages()|} ?? throw new InvalidOperationException("no page");
                if (length > page.Length)
                {
                    {|#1:throw new ArgumentOutOfRangeException(nameof(length));|}
                }

                pool.PutFullPage(page, false);
            }
        }
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "allocated", "when the method throws at line 14"));

    [Fact]
    public Task Finally_that_does_not_put_does_not_cover_the_return() => V.AnalyzerAsync("""
        class Rx
        {
            int _count;

            int Fill(PagePool pool)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                try
                {
                    if (page is null)
                    {
                        return 0;
                    }

                    return page.Length;
                }
                finally
                {
                    _count++;
                }
            }
        }
        """);

    [Fact]
    public Task Switch_case_without_a_put_leaks() => V.AnalyzerAsync("""
        class Rx
        {
            void Handle(PagePool pool, XdpAction verdict)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                if (page is null)
                {
                    return;
                }

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
                        break;
                }
            }
        }
        """);

    [Fact]
    public Task Goto_past_the_put_leaks() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, bool skip)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                if (page is null)
                {
                    return;
                }

                if (skip)
                {
                    goto done;
                }

                pool.PutFullPage(page, false);
            done:
                Console.WriteLine("done");
            }
        }
        """);

    [Fact]
    public Task Page_taken_out_of_a_cleared_ring_slot_must_be_put() => V.AnalyzerAsync("""
        class Rx
        {
            readonly Page?[] _ring = new Page?[64];

            void Drain(PagePool pool)
            {
                for (var i = 0; i < _ring.Length; i++)
                {
                    var page = {|PP0001:_ring[i]|};
                    _ring[i] = null;
                    if (page is not null)
                    {
                        Console.WriteLine(page.Length);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Page_taken_with_interlocked_exchange_must_be_put() => V.AnalyzerAsync("""
        class Rx
        {
            Page? _pending;

            void Teardown()
            {
                var page = {|PP0001:Interlocked.Exchange(ref _pending, null)|};
                Console.WriteLine(page?.Length);
            }
        }
        """);

    [Fact]
    public Task Parameter_that_takes_ownership_must_be_put() => V.AnalyzerAsync("""
        class Stack
        {
            void Receive([TakesPageOwnership] Page {|#0:page|})
            {
                Console.WriteLine(page.Length);
            {|#1:}|}
        }
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1).WithArguments("'page'", "received", "when the method returns at line 12"));

    [Fact]
    public Task Async_method_that_returns_after_await_without_put_leaks() => V.AnalyzerAsync("""
        class Rx
        {
            async Task<int> FillAsync(PagePool pool)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                await Task.Yield();
                return page?.Length ?? 0;
            }
        }
        """);

    [Fact]
    public Task Iterator_that_yields_lengths_leaks_the_page() => V.AnalyzerAsync("""
        class Rx
        {
            IEnumerable<int> Lengths(PagePool pool)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                if (page is null)
                {
                    yield break;
                }

                yield return page.Length;
            }
        }
        """);

    [Fact]
    public Task Fragment_not_put_leaks() => V.AnalyzerAsync("""
        class Rx
        {
            int Frag(PagePool pool)
            {
                var page = {|PP0001:pool.AllocFrag(256, out var offset)|};
                return page is null ? -1 : offset;
            }
        }
        """);

    [Fact]
    public Task Leak_inside_a_poll_lambda_is_found() => V.AnalyzerAsync("""
        class Rx
        {
            Napi Create(NetDevice dev, PagePool pool) => new Napi(dev, (napi, budget) =>
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                return page is null ? 0 : 1;
            });
        }
        """);

    [Fact]
    public Task Leak_inside_a_local_function_is_found() => V.AnalyzerAsync("""
        class Rx
        {
            int Run(PagePool pool)
            {
                return Refill();

                int Refill()
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    return page is null ? 0 : 1;
                }
            }
        }
        """);

    [Fact]
    public Task Source_helper_that_only_reads_borrows() => V.AnalyzerAsync("""
        class Rx
        {
            static int Inspect(Page page) => page.Length;

            void Fill(PagePool pool)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                if (page is not null)
                {
                    Inspect(page);
                }
            }
        }
        """);

    [Fact]
    public Task Catch_that_swallows_the_exception_leaks() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                if (page is null)
                {
                    return;
                }

                try
                {
                    page.Span[0] = 1;
                    pool.PutFullPage(page, false);
                }
                catch (IndexOutOfRangeException)
                {
                    Console.WriteLine("bad page");
                }
            }
        }
        """);

    [Fact]
    public Task Using_block_does_not_put_the_page() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                using (var gate = new SemaphoreSlim(1))
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    gate.Wait();
                    Console.WriteLine(page?.Length);
                }
            }
        }
        """);

    [Fact]
    public Task Page_from_a_source_allocation_helper_is_owned_by_the_caller() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool _pool = PagePool.Create(new PagePoolParams());

            Page? Rent()
            {
                var page = _pool.DevAllocPages();
                page?.Span.Clear();
                return page;
            }

            int Fill()
            {
                var page = {|PP0001:Rent()|};
                return page?.Length ?? 0;
            }
        }
        """);

    // ---- no leaks ----------------------------------------------------------------------------------------------

    [Fact]
    public Task Page_put_on_every_path_is_fine() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                page.Span.Clear();
                pool.PutFullPage(page, allowDirect: false);
            }
        }
        """);

    [Fact]
    public Task Failed_allocation_owes_nothing_with_equality_tests() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.AllocPages(AllocFlags.Atomic | AllocFlags.NoWarn);
                if (page == null)
                {
                    return;
                }

                pool.PutPage(page, -1, false);
                var other = pool.DevAllocPages();
                if (other != null)
                {
                    pool.RecycleDirect(other);
                }
            }
        }
        """);

    [Fact]
    public Task Null_coalescing_throw_and_conditional_access_are_null_tests() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages() ?? throw new InvalidOperationException();
                pool.PutFullPage(page, false);
                var maybe = pool.DevAllocPages();
                maybe?.Span.Clear();
                if (maybe is not null)
                {
                    pool.PutFullPage(maybe, false);
                }
            }
        }
        """);

    [Fact]
    public Task Declaration_pattern_owns_only_on_success() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                if (pool.DevAllocPages() is Page page)
                {
                    pool.PutFullPage(page, false);
                }

                if (pool.DevAllocPages() is not { } second)
                {
                    return;
                }

                pool.PutFullPage(second, false);
            }
        }
        """);

    [Fact]
    public Task Returned_page_is_handed_to_the_caller() => V.AnalyzerAsync("""
        class Rx
        {
            Page? Take(PagePool pool)
            {
                var page = pool.DevAllocPages();
                return page;
            }

            Page Direct(PagePool pool) => pool.DevAllocPages()!;
        }
        """);

    [Fact]
    public Task Stored_in_field_array_or_collection_is_handed_on() => V.AnalyzerAsync("""
        class Rx
        {
            Page? _current;
            readonly Page?[] _ring = new Page?[16];
            readonly List<Page> _spare = new();
            readonly Queue<Page> _queue = new();

            void Fill(PagePool pool)
            {
                _current = pool.DevAllocPages();
                _ring[3] = pool.DevAllocPages();
                var page = pool.DevAllocPages();
                if (page is not null)
                {
                    _spare.Add(page);
                }

                var next = pool.DevAllocPages();
                if (next is not null)
                {
                    _queue.Enqueue(next);
                }
            }
        }
        """);

    [Fact]
    public Task Out_parameter_hands_the_page_to_the_caller() => V.AnalyzerAsync("""
        class Rx
        {
            bool TryTake(PagePool pool, out Page? page)
            {
                page = pool.DevAllocPages();
                return page is not null;
            }
        }
        """);

    [Fact]
    public Task Takes_page_ownership_parameter_and_consuming_source_helpers_take_over() => V.AnalyzerAsync("""
        class Rx
        {
            static readonly Queue<Page> TxRing = new();
            readonly List<Page> _held = new();

            static void Transmit([TakesPageOwnership] Page page)
            {
                TxRing.Enqueue(page);
            }

            void Recycle(PagePool pool, Page page) => pool.RecycleDirect(page);

            void Keep(Page page)
            {
                _held.Add(page);
            }

            void Fill(PagePool pool)
            {
                var a = pool.DevAllocPages();
                if (a is not null)
                {
                    Transmit(a);
                }

                var b = pool.DevAllocPages();
                if (b is not null)
                {
                    Recycle(pool, b);
                }

                var c = pool.DevAllocPages();
                if (c is not null)
                {
                    Keep(c);
                }
            }
        }
        """);

    [Fact]
    public Task Put_in_finally_covers_every_exit() => V.AnalyzerAsync("""
        class Rx
        {
            int Fill(PagePool pool, int length)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return 0;
                }

                try
                {
                    if (length > page.Length)
                    {
                        throw new ArgumentOutOfRangeException(nameof(length));
                    }

                    if (length == 0)
                    {
                        return 0;
                    }

                    return page.Span[length - 1];
                }
                finally
                {
                    pool.PutFullPage(page, false);
                }
            }
        }
        """);

    [Fact]
    public Task Loop_that_puts_each_page_before_the_next_allocation() => V.AnalyzerAsync("""
        class Rx
        {
            int Fill(PagePool pool, int count)
            {
                var total = 0;
                while (count-- > 0)
                {
                    var page = pool.DevAllocPages();
                    if (page is null)
                    {
                        break;
                    }

                    total += page.Length;
                    pool.PutFullPage(page, false);
                }

                foreach (var n in new[] { 1, 2 })
                {
                    var page = pool.DevAllocPages();
                    if (page is null)
                    {
                        continue;
                    }

                    pool.RecycleDirect(page);
                }

                return total;
            }
        }
        """);

    [Fact]
    public Task Switch_statement_and_expression_that_put_in_every_arm() => V.AnalyzerAsync("""
        class Rx
        {
            void Handle(PagePool pool, XdpAction verdict)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                switch (verdict)
                {
                    case XdpAction.Drop:
                        pool.RecycleDirect(page);
                        break;
                    default:
                        pool.PutFullPage(page, false);
                        break;
                }

                var next = pool.DevAllocPages();
                var keep = verdict switch
                {
                    XdpAction.Pass => true,
                    _ => false,
                };
                if (next is not null)
                {
                    pool.PutFullPage(next, keep);
                }
            }
        }
        """);

    [Fact]
    public Task Lambda_capturing_the_page_takes_it_over() => V.AnalyzerAsync("""
        class Rx
        {
            Task Later(PagePool pool)
            {
                var page = pool.DevAllocPages();
                return Task.Run(() =>
                {
                    if (page is not null)
                    {
                        pool.PutFullPage(page, false);
                    }
                });
            }
        }
        """);

    [Fact]
    public Task Local_function_that_puts_the_captured_page() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                Free();

                void Free() => pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Released_page_dropped_with_put_is_fine() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                pool.ReleasePage(page);
                page.Span.Clear();
                page.Put();
            }
        }
        """);

    [Fact]
    public Task Plain_slot_read_takes_nothing_and_drain_that_puts_is_fine() => V.AnalyzerAsync("""
        class Rx
        {
            readonly Page?[] _ring = new Page?[64];
            Page? _pending;

            int Peek() => _ring[0]?.Length ?? 0;

            void Drain(PagePool pool)
            {
                for (var i = 0; i < _ring.Length; i++)
                {
                    var page = _ring[i];
                    _ring[i] = null;
                    if (page is not null)
                    {
                        pool.PutFullPage(page, false);
                    }
                }

                var pending = Interlocked.Exchange(ref _pending, null);
                if (pending is not null)
                {
                    pool.PutFullPage(pending, false);
                }
            }
        }
        """);

    [Fact]
    public Task Async_method_that_puts_after_await() => V.AnalyzerAsync("""
        class Rx
        {
            async Task<int> FillAsync(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return 0;
                }

                await Task.Yield();
                var length = page.Length;
                pool.PutFullPage(page, false);
                return length;
            }
        }
        """);

    [Fact]
    public Task Goto_that_reaches_the_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, bool fast)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                if (fast)
                {
                    goto put;
                }

                page.Span.Clear();
            put:
                pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Throw_after_the_put_owes_nothing_and_catch_that_puts_and_rethrows() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool, bool bad)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                pool.PutFullPage(page, false);
                if (bad)
                {
                    throw new InvalidOperationException();
                }

                var next = pool.DevAllocPages();
                if (next is null)
                {
                    return;
                }

                try
                {
                    next.Span[0] = 1;
                }
                catch (Exception)
                {
                    pool.PutFullPage(next, false);
                    throw;
                }

                pool.PutFullPage(next, false);
            }
        }
        """);

    [Fact]
    public Task Recursive_helpers_do_not_hang_or_crash() => V.AnalyzerAsync("""
        class Rx
        {
            void Ping(PagePool pool, Page page, int depth)
            {
                if (depth == 0)
                {
                    pool.PutFullPage(page, false);
                    return;
                }

                Pong(pool, page, depth - 1);
            }

            void Pong(PagePool pool, Page page, int depth) => Ping(pool, page, depth);

            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is not null)
                {
                    Ping(pool, page, 3);
                }
            }
        }
        """);

    [Fact]
    public Task Iterator_that_yields_the_page_hands_it_on() => V.AnalyzerAsync("""
        class Rx
        {
            IEnumerable<Page> Pages(PagePool pool, int n)
            {
                for (var i = 0; i < n; i++)
                {
                    var page = pool.DevAllocPages();
                    if (page is null)
                    {
                        yield break;
                    }

                    yield return page;
                }
            }
        }
        """);

    [Fact]
    public Task Constructors_that_keep_the_page_take_it_over() => V.AnalyzerAsync("""
        sealed class Frame
        {
            private readonly Page _page;

            public Frame(Page page) => _page = page;
        }

        sealed record Packet(Page Page, int Length);

        sealed class Rx
        {
            object Wrap(PagePool pool, bool record)
            {
                var page = pool.DevAllocPages() ?? throw new InvalidOperationException();
                return record ? new Packet(page, 64) : new Frame(page);
            }
        }
        """);

    [Fact]
    public Task Nullable_local_put_in_finally_after_a_try_that_allocates() => V.AnalyzerAsync("""
        class Rx
        {
            int Fill(PagePool pool, int length)
            {
                Page? page = null;
                try
                {
                    page = pool.DevAllocPages();
                    if (page is null || length > 4096)
                    {
                        return 0;
                    }

                    return page.Span[length - 1];
                }
                finally
                {
                    if (page != null)
                    {
                        pool.PutFullPage(page, false);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Using_declaration_in_scope_does_not_disturb_the_put() => V.AnalyzerAsync("""
        class Rx
        {
            void Fill(PagePool pool)
            {
                using var gate = new SemaphoreSlim(1);
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                gate.Wait();
                pool.PutFullPage(page, false);
            }
        }
        """);

    [Fact]
    public Task Page_from_an_allocation_helper_that_the_caller_puts() => V.AnalyzerAsync("""
        class Rx
        {
            readonly PagePool _pool = PagePool.Create(new PagePoolParams());
            readonly Page?[] _ring = new Page?[4];

            Page? Rent() => _pool.DevAllocPages();

            Page? Peek() => _ring[0];

            void Fill()
            {
                var page = Rent();
                if (page is not null)
                {
                    _pool.PutFullPage(page, false);
                }

                Console.WriteLine(Peek()?.Length);
            }
        }
        """);

    [Fact]
    public Task Exception_from_a_call_inside_a_try_is_not_an_exit() => V.AnalyzerAsync("""
        class Rx
        {
            readonly Dictionary<nint, Page> _out = new();
            Exception? _failure;

            int Poll(PagePool pool, int budget)
            {
                try
                {
                    for (var i = 0; i < budget; i++)
                    {
                        var page = pool.DevAllocPages() ?? throw new InvalidOperationException("empty");
                        page.Span[0] = 1;
                        _out.Add(page.Address, page);
                    }
                }
                catch (Exception e)
                {
                    _failure = e;
                }

                return budget;
            }
        }
        """);

    [Fact]
    public Task Other_null_test_shapes_and_conditional_allocations() => V.AnalyzerAsync("""
        class Rx
        {
            readonly List<Page> _ring = new();

            void Loop(PagePool pool)
            {
                Page? page;
                while ((page = pool.DevAllocPages()) != null)
                {
                    _ring.Add(page);
                }
            }

            void Negated(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (!(page is null))
                {
                    pool.PutFullPage(page, false);
                }
            }

            void Switch(PagePool pool)
            {
                var page = pool.DevAllocPages();
                switch (page)
                {
                    case null:
                        return;
                    default:
                        pool.PutFullPage(page, false);
                        break;
                }
            }

            void Ternary(PagePool pool, bool fast)
            {
                var page = fast ? pool.DevAllocPages() : pool.AllocPages(AllocFlags.MayBlock);
                if (page is null)
                {
                    return;
                }

                pool.PutFullPage(page, false);
            }

            int Consume(PagePool pool, Page page)
            {
                pool.PutFullPage(page, false);
                return 1;
            }

            int Conditional(PagePool pool)
            {
                var page = pool.DevAllocPages();
                return page is null ? 0 : Consume(pool, page);
            }
        }
        """);

    [Fact]
    public Task Lease_object_that_puts_on_dispose_takes_the_page() => V.AnalyzerAsync("""
        sealed class PageLease : IDisposable
        {
            private readonly PagePool _pool;
            private readonly Page _page;

            public PageLease(PagePool pool, Page page)
            {
                _pool = pool;
                _page = page;
            }

            public Span<byte> Span => _page.Span;

            public void Dispose() => _pool.PutFullPage(_page, false);
        }

        class Rx
        {
            void Fill(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                using var lease = new PageLease(pool, page);
                lease.Span.Clear();
            }
        }
        """);

    [Fact]
    public Task Kernel_napi_poller_written_correctly_has_no_leak() => V.AnalyzerAsync(KernelPoller.Correct);

    [Fact]
    public Task Kernel_poller_without_the_error_path_recycle_leaks_the_ring_page() => V.AnalyzerAsync(
        KernelPoller.Correct.Replace("var page = _ring[slot];", "var page = {|PP0001:_ring[slot]|};").Replace(KernelPoller.ErrorRecycle, ""));

    [Fact]
    public Task Kernel_poller_without_the_xdp_drop_recycle_leaks_the_ring_page() => V.AnalyzerAsync(
        KernelPoller.Correct.Replace("var page = _ring[slot];", "var page = {|PP0001:_ring[slot]|};").Replace(KernelPoller.DropRecycle, ""));

    [Fact]
    public Task Kernel_poller_without_the_release_before_the_skb_leaks_the_ring_page() => V.AnalyzerAsync(
        KernelPoller.Correct.Replace("var page = _ring[slot];", "var page = {|PP0001:_ring[slot]|};").Replace(KernelPoller.Release, ""));

    [Fact]
    public Task Kernel_poller_that_drops_the_new_page_leaks_it() => V.AnalyzerAsync(
        KernelPoller.Correct.Replace("var fresh = _pool.DevAllocPages();", "var fresh = {|PP0001:_pool.DevAllocPages()|};").Replace(KernelPoller.Refill, ""));

    // `while (true)` keeps a branch out of the loop in the control flow graph that no run takes: the only way out is the
    // break after the put. A `do ... while (true)` that breaks without putting still leaks.
    [Fact]
    public Task Loop_left_only_by_break_after_the_put_is_no_leak() => V.AnalyzerAsync("""
        class Rx
        {
            int Poll(PagePool pool, int budget)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return 0;
                }

                while (true)
                {
                    if (--budget == 0)
                    {
                        pool.PutFullPage(page, false);
                        break;
                    }
                }

                return budget;
            }

            int Spin(PagePool pool, int budget)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                do
                {
                    if (--budget == 0)
                    {
                        break;
                    }
                }
                while (true);

                return budget;
            }
        }
        """);

    // ---- slots: the same array and the same index value ----------------------------------------------------------

    [Fact]
    public Task Slot_looked_at_in_one_loop_and_drained_in_another_loop_with_its_own_index_is_not_taken() => V.AnalyzerAsync("""
        class RxRing
        {
            readonly Page?[] _ring = new Page?[256];
            readonly PagePool _pool;

            RxRing(PagePool pool) => _pool = pool;

            int Teardown()
            {
                var busy = 0;
                for (var i = 0; i < _ring.Length; i++)
                {
                    var page = _ring[i];
                    if (page is not null && page.RefCount > 1)
                    {
                        busy++;
                    }
                }

                for (var i = 0; i < _ring.Length; i++)
                {
                    var page = _ring[i];
                    _ring[i] = null;
                    if (page is not null)
                    {
                        _pool.PutFullPage(page, allowDirect: false);
                    }
                }

                return busy;
            }
        }
        """);

    [Fact]
    public Task Slot_cleared_after_its_index_moved_on_is_another_slot() => V.AnalyzerAsync("""
        class RxRing
        {
            const int Mask = 255;
            readonly Page?[] _ring = new Page?[256];

            int Peek(int head)
            {
                var i = head;
                var page = _ring[i];
                i = (i + 1) & Mask;
                _ring[i] = null;
                return page?.Length ?? 0;
            }

            int PeekAndAdvance(int head)
            {
                var page = _ring[head];
                head++;
                _ring[head & Mask] = null;
                return page?.Length ?? 0;
            }
        }
        """);

    [Fact]
    public Task Drain_through_a_field_index_that_advances_after_the_clear_still_owns_the_page() => V.AnalyzerAsync("""
        class RxRing
        {
            const int Mask = 255;
            readonly Page?[] _ring = new Page?[256];
            int _next;

            Page? Next()
            {
                var page = {|#0:_ring[_next]|};
                _ring[_next] = null;
                _next = (_next + 1) & Mask;
                if (page is null || page.Length == 0)
                {
                    {|#1:return null;|}
                }

                return page;
            }
        }
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "taken", "when the method returns at line 20"));

    [Fact]
    public Task Null_test_of_the_slot_before_the_drain_is_the_same_page() => V.AnalyzerAsync("""
        class RxRing
        {
            readonly Page?[] _ring = new Page?[256];

            void Drain(PagePool pool)
            {
                for (var i = 0; i < _ring.Length; i++)
                {
                    if (_ring[i] is null)
                    {
                        continue;
                    }

                    var page = _ring[i]!;
                    _ring[i] = null;
                    pool.PutFullPage(page, allowDirect: false);
                }
            }
        }
        """);

    [Fact]
    public Task Page_written_back_into_its_own_slot_takes_nothing() => V.AnalyzerAsync("""
        class RxRing
        {
            readonly Page?[] _ring = new Page?[256];

            int Refill(PagePool pool)
            {
                var posted = 0;
                for (var i = 0; i < _ring.Length; i++)
                {
                    var page = _ring[i] ?? pool.DevAllocPages();
                    if (page is null)
                    {
                        break;
                    }

                    _ring[i] = page;
                    posted++;
                }

                return posted;
            }
        }
        """);

    [Fact]
    public Task Another_page_written_into_the_slot_takes_the_one_read_from_it() => V.AnalyzerAsync("""
        class RxRing
        {
            readonly Page?[] _ring = new Page?[256];

            void Replace(PagePool pool, int i)
            {
                var old = {|PP0001:_ring[i]|};
                _ring[i] = pool.DevAllocPages();
                Console.WriteLine(old?.Length);
            }
        }
        """);

    // ---- an allocation that runs again -----------------------------------------------------------------------------

    [Fact]
    public Task Multi_buffer_frame_keeps_its_head_buffer_while_the_allocation_runs_again() => V.AnalyzerAsync("""
        class MultiBufferRx
        {
            readonly PagePool _pool;
            readonly List<Page> _frags = new();

            MultiBufferRx(PagePool pool) => _pool = pool;

            int Poll(int budget)
            {
                Page? head = null;
                var done = 0;
                while (done < budget)
                {
                    var page = _pool.DevAllocPages();
                    if (page is null)
                    {
                        break;
                    }

                    done++;
                    if (head is null)
                    {
                        head = page;
                        continue;
                    }

                    _frags.Add(page);
                    if (done % 4 == 0)
                    {
                        Deliver(head);
                        head = null;
                    }
                }

                if (head is not null)
                {
                    _pool.PutFullPage(head, allowDirect: false);
                }

                return done;
            }

            void Deliver([TakesPageOwnership] Page head) => _frags.Add(head);
        }
        """);

    [Fact]
    public Task Allocation_that_runs_again_while_only_its_own_variable_holds_the_page_leaks() => V.AnalyzerAsync("""
        class Rx
        {
            int Poll(PagePool pool, int budget)
            {
                var done = 0;
                while (done < budget)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null)
                    {
                        break;
                    }

                    done += page.Length > 0 ? 1 : 0;
                }

                return done;
            }
        }
        """);

    // ---- delegates and collections: only storing members hand on -------------------------------------------------

    [Fact]
    public Task Page_shown_to_an_xdp_program_delegate_is_still_owned() => V.AnalyzerAsync("""
        class XdpRx
        {
            readonly PagePool _pool;
            readonly Func<Page, int, XdpAction> _program;

            XdpRx(PagePool pool, Func<Page, int, XdpAction> program)
            {
                _pool = pool;
                _program = program;
            }

            [NapiContext]
            int Poll(int budget)
            {
                var page = {|#0:_pool.DevAllocPages()|};
                if (page is null)
                {
                    return 0;
                }

                if (_program(page, budget) == XdpAction.Drop)
                {
                    _pool.RecycleDirect(page);
                    return 1;
                }

                {|#1:return 0;|}
            }
        }
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "allocated", "when the method returns at line 33"));

    [Fact]
    public Task Page_looked_up_in_a_list_is_still_owned() => V.AnalyzerAsync("""
        class TxCompletion
        {
            readonly List<Page> _inflight = new();

            void Post(PagePool pool)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                if (page is null || _inflight.Contains(page) || _inflight.IndexOf(page) >= 0)
                {
                    return;
                }

                _inflight.Add(page);
            }
        }
        """);

    [Fact]
    public Task Delegate_whose_parameter_takes_ownership_and_storing_members_hand_on() => V.AnalyzerAsync("""
        delegate void Deliver([TakesPageOwnership] Page page);

        sealed class TxRing<T>
            where T : class
        {
            readonly T?[] _slots = new T?[64];
            int _tail;

            public bool TryProduce(T item)
            {
                if (_slots[_tail] is not null)
                {
                    return false;
                }

                _slots[_tail] = item;
                _tail = (_tail + 1) & 63;
                return true;
            }
        }

        class Rx
        {
            readonly TxRing<Page> _tx = new();
            readonly Queue<Page> _backlog = new();
            readonly Dictionary<int, Page> _bySlot = new();
            readonly System.Collections.Concurrent.ConcurrentQueue<Page> _completions = new();

            void Poll(PagePool pool, Deliver deliver, int slot)
            {
                var first = pool.DevAllocPages();
                if (first is not null)
                {
                    deliver(first);
                }

                var second = pool.DevAllocPages();
                if (second is not null)
                {
                    _backlog.Enqueue(second);
                }

                var third = pool.DevAllocPages();
                if (third is not null && !_bySlot.TryAdd(slot, third))
                {
                    pool.PutFullPage(third, false);
                }

                var fourth = pool.DevAllocPages();
                if (fourth is not null)
                {
                    _completions.Enqueue(fourth);
                }

                var fifth = pool.DevAllocPages();
                if (fifth is not null && !_tx.TryProduce(fifth))
                {
                    pool.PutFullPage(fifth, false);
                }
            }
        }
        """);

    // ---- ownership handed back through a tuple or an out parameter -------------------------------------------------

    private const string RxRingWithHelpers = """
        class RxRing
        {
            readonly PagePool _pool;
            readonly Page?[] _ring = new Page?[256];

            RxRing(PagePool pool) => _pool = pool;

            (Page? Page, int Length) Receive(int slot)
            {
                var page = _ring[slot];
                _ring[slot] = null;
                return (page, page?.Length ?? 0);
            }

            bool TryTake(int slot, out Page? page)
            {
                page = _ring[slot];
                _ring[slot] = null;
                return page is not null;
            }

            void Take(int slot, out Page? page)
            {
                page = _ring[slot];
                _ring[slot] = null;
            }

            bool TryTakeUnlinked(int slot, out Page? page)
            {
                page = _ring[slot];
                _ring[slot] = null;
                return slot >= 0 && IsFull(page);
            }

            static bool IsFull(Page? page) => page?.Length > 0;

            bool TryTakeChecked(int slot, out Page? page)
            {
                var taken = _ring[slot];
                _ring[slot] = null;
                if (taken is null || taken.Length == 0)
                {
                    page = null;
                    if (taken is not null)
                    {
                        _pool.PutFullPage(taken, allowDirect: false);
                    }

                    return false;
                }

                page = taken;
                return true;
            }

        """;

    [Fact]
    public Task Page_handed_back_in_a_tuple_is_owned_by_the_caller() => V.AnalyzerAsync(RxRingWithHelpers + """
            int Poll(int slot)
            {
                var (page, length) = {|#0:Receive(slot)|};
                if (page is null)
                {
                    return 0;
                }

                if (length < 64)
                {
                    {|#1:return 0;|}
                }

                _pool.PutFullPage(page, allowDirect: false);
                return length;
            }

            int PollElement(int slot)
            {
                var frame = {|#2:Receive(slot)|};
                if (frame.Page is null)
                {
                    return 0;
                }

                {|#3:return frame.Length;|}
            }
        }
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "allocated", "when the method returns at line 71"),
        V.Diagnostic("PP0001").WithLocation(2).WithLocation(3)
            .WithArguments("'frame'", "allocated", "when the method returns at line 86"));

    [Fact]
    public Task Page_handed_back_in_a_tuple_and_put_by_the_caller() => V.AnalyzerAsync(RxRingWithHelpers + """
            int Poll(int slot)
            {
                var (page, length) = Receive(slot);
                if (page is null)
                {
                    return 0;
                }

                _pool.PutFullPage(page, allowDirect: false);
                return length;
            }

            int PollElement(int slot)
            {
                var frame = Receive(slot);
                if (frame.Page is not null)
                {
                    _pool.PutFullPage(frame.Page, allowDirect: false);
                }

                return frame.Length;
            }
        }
        """);

    [Fact]
    public Task Page_handed_back_through_an_out_parameter_is_owned_by_the_caller() => V.AnalyzerAsync(RxRingWithHelpers + """
            int Poll(int slot, int budget)
            {
                if (!TryTake(slot, {|#0:out var page|}))
                {
                    return 0;
                }

                if (budget == 0)
                {
                    {|#1:return 0;|}
                }

                _pool.PutFullPage(page!, allowDirect: false);
                return 1;
            }

            int Drain()
            {
                var n = 0;
                while (TryTakeChecked(n, {|PP0001:out var page|}))
                {
                    n += page!.Length > 0 ? 1 : 0;
                }

                return n;
            }

            int Peek(int slot)
            {
                Take(slot, {|PP0001:out var page|});
                return page?.Length ?? 0;
            }
        }
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "taken", "when the method returns at line 70"));

    [Fact]
    public Task Page_handed_back_through_an_out_parameter_and_put_by_the_caller() => V.AnalyzerAsync(RxRingWithHelpers + """
            int Poll(int slot)
            {
                if (!TryTake(slot, out var page))
                {
                    return 0;
                }

                _pool.PutFullPage(page!, allowDirect: false);
                return 1;
            }

            int Drain()
            {
                var n = 0;
                while (TryTakeChecked(n, out var page))
                {
                    _pool.PutFullPage(page!, allowDirect: false);
                    n++;
                }

                return n;
            }

            int Unlinked(int slot)
            {
                // How the result relates to the page is beyond the summary: a caller that trusts the result is not told it leaks.
                if (!TryTakeUnlinked(slot, out var page))
                {
                    return 0;
                }

                _pool.PutFullPage(page!, allowDirect: false);
                return 1;
            }
        }
        """);

    // ---- conditional hand-on ---------------------------------------------------------------------------------------

    private const string XdpTxRing = """
        class XdpTx
        {
            readonly PagePool _pool;
            readonly Page?[] _tx = new Page?[256];
            int _tail;

            XdpTx(PagePool pool) => _pool = pool;

            bool TryXmit(Page page)
            {
                if (_tx[_tail] is not null)
                {
                    return false;
                }

                _tx[_tail] = page;
                _tail = (_tail + 1) & 255;
                return true;
            }

            bool Backlogged(Page page)
            {
                if (TryXmit(page))
                {
                    return false;
                }

                return true;
            }

        """;

    [Fact]
    public Task Page_left_to_the_caller_when_the_conditional_helper_returns_false_must_be_put() => V.AnalyzerAsync(XdpTxRing + """
            [NapiContext]
            void Forward()
            {
                var page = {|#0:_pool.DevAllocPages()|};
                if (page is null)
                {
                    return;
                }

                if (!TryXmit(page))
                {
                    {|#1:return;|}
                }
            }

            [NapiContext]
            void ForwardOrQueue()
            {
                var page = {|PP0001:_pool.DevAllocPages()|};
                if (page is not null && Backlogged(page))
                {
                    Console.WriteLine("tx ring full");
                }
            }
        }
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "allocated", "when the method returns at line 47"));

    [Fact]
    public Task Caller_that_branches_on_the_conditional_helper_and_puts_on_the_other_outcome() => V.AnalyzerAsync(XdpTxRing + """
            [NapiContext]
            void Forward()
            {
                var page = _pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                if (TryXmit(page))
                {
                    return;
                }

                _pool.RecycleDirect(page);
            }

            [NapiContext]
            void ForwardOrQueue()
            {
                var page = _pool.DevAllocPages();
                if (page is not null && Backlogged(page))
                {
                    _pool.RecycleDirect(page);
                }
            }
        }
        """);

    // ---- local functions and lambdas invoked in place act like their body ------------------------------------------

    [Fact]
    public Task Local_function_that_only_reads_the_page_borrows_it() => V.AnalyzerAsync("""
        class Rx
        {
            const int EtherTypeOffset = 12;

            int Classify(PagePool pool)
            {
                var page = {|#0:pool.DevAllocPages()|};
                if (page is null)
                {
                    return -1;
                }

                if (Proto() == 0x86)
                {
                    {|#1:return 6;|}
                }

                pool.PutFullPage(page, allowDirect: false);
                return 4;

                int Proto() => page.Span[EtherTypeOffset];
            }
        }
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "allocated", "when the method returns at line 21"));

    [Fact]
    public Task Lambda_created_and_invoked_in_place_borrows_the_page() => V.AnalyzerAsync("""
        class Rx
        {
            int Classify(PagePool pool)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                if (page is null)
                {
                    return -1;
                }

                Func<int> proto = () => page.Span[12];
                return proto() == 0x86 ? 6 : 4;
            }
        }
        """);

    [Fact]
    public Task Local_function_and_in_place_lambda_that_read_the_page_before_its_put() => V.AnalyzerAsync("""
        class Rx
        {
            int Classify(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null)
                {
                    return -1;
                }

                Func<int> length = () => page.Length;
                var version = Proto() >> 4;
                var total = length();
                pool.PutFullPage(page, allowDirect: false);
                return version + total;

                int Proto() => page.Span[14];
            }
        }
        """);

    // ---- ref locals into a slot --------------------------------------------------------------------------------------

    [Fact]
    public Task Drain_through_a_ref_local_owns_the_page() => V.AnalyzerAsync("""
        class RxRing
        {
            readonly Page?[] _ring = new Page?[256];

            int Drain(PagePool pool)
            {
                var n = 0;
                for (var i = 0; i < _ring.Length; i++)
                {
                    ref Page? slot = ref _ring[i];
                    var page = {|PP0001:slot|};
                    slot = null;
                    if (page is null || page.Length == 0)
                    {
                        continue;
                    }

                    pool.PutFullPage(page, allowDirect: false);
                    n++;
                }

                return n;
            }
        }
        """);

    [Fact]
    public Task Drain_through_a_ref_local_that_puts_and_a_ref_local_only_read() => V.AnalyzerAsync("""
        class RxRing
        {
            readonly Page?[] _ring = new Page?[256];

            int Drain(PagePool pool)
            {
                var n = 0;
                for (var i = 0; i < _ring.Length; i++)
                {
                    ref Page? slot = ref _ring[i];
                    if (slot is null)
                    {
                        continue;
                    }

                    var page = slot;
                    slot = null;
                    pool.PutFullPage(page, allowDirect: false);
                    n++;
                }

                return n;
            }

            void Teardown(PagePool pool)
            {
                for (var i = 0; i < _ring.Length; i++)
                {
                    ref Page? slot = ref _ring[i];
                    if (slot is null)
                    {
                        continue;
                    }

                    var page = Interlocked.Exchange(ref slot, null);
                    if (page is not null)
                    {
                        pool.PutFullPage(page, allowDirect: false);
                    }
                }
            }

            int Busy()
            {
                var busy = 0;
                for (var i = 0; i < _ring.Length; i++)
                {
                    ref Page? slot = ref _ring[i];
                    var page = slot;
                    busy += page is { RefCount: > 1 } ? 1 : 0;
                }

                return busy;
            }
        }
        """);

    [Fact]
    public Task Page_taken_from_a_cleared_slot_into_an_out_parameter_is_handed_to_the_caller() => V.AnalyzerAsync("""
        struct RxDescriptor
        {
            public Page? Page;
            public int Length;
        }

        class Rx
        {
            readonly Page?[] ring = new Page?[256];
            readonly RxDescriptor[] descs = new RxDescriptor[256];

            bool TryTake(int i, out Page? page)
            {
                page = ring[i]!;
                ring[i] = null;
                return true;
            }

            bool TryReceive(int i, out Page? page, out int length)
            {
                ref var desc = ref descs[i];
                page = desc.Page!;
                desc.Page = null;
                length = desc.Length;
                return true;
            }
        }
        """);

    [Fact]
    public Task Page_taken_from_a_cleared_slot_but_not_put_into_the_out_parameter_leaks() => V.AnalyzerAsync("""
        class Rx
        {
            readonly Page?[] ring = new Page?[256];

            bool TryTake(int i, out Page? page)
            {
                var taken = {|#0:ring[i]|}!;
                ring[i] = null;
                page = null;
                {|#1:return taken is not null;|}
            }
        }
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1)
            .WithArguments("'taken'", "taken", "when the method returns at line 16"));

    [Fact]
    public Task Leak_in_top_level_statements_names_the_end_of_the_program() => V.ProgramAsync("""
        var pool = PagePool.Create(new PagePoolParams());
        var page = {|#0:pool.DevAllocPages()|};
        Console.WriteLine(page?.Length);
        Console.WriteLine(pool.Inflight){|#1:;|}

        static void Unused()
        {
        }
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "allocated", "when the program ends at line 10"));

    [Fact]
    public Task Leak_at_a_top_level_return_names_the_return() => V.ProgramAsync("""
        var pool = PagePool.Create(new PagePoolParams());
        var page = {|#0:pool.DevAllocPages()|};
        if (page is null)
        {
            return 1;
        }

        if (args.Length == 0)
        {
            {|#1:return 2;|}
        }

        pool.PutFullPage(page, allowDirect: false);
        return 0;
        """,
        V.Diagnostic("PP0001").WithLocation(0).WithLocation(1)
            .WithArguments("'page'", "allocated", "when the program ends at line 16"));

    [Fact]
    public Task Top_level_statements_that_put_their_page_leak_nothing() => V.ProgramAsync("""
        var pool = PagePool.Create(new PagePoolParams());
        var page = pool.DevAllocPages();
        if (page is not null)
        {
            pool.PutFullPage(page, allowDirect: false);
        }
        """);
}
