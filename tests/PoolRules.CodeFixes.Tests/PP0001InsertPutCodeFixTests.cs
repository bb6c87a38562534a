using System.Threading.Tasks;
using PoolRules.CodeFixes;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0001PageLeakAnalyzer, PoolRules.CodeFixes.PP0001InsertPutCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0001InsertPutCodeFixTests
{
    [Fact]
    public Task Early_return_gets_a_put_inside_a_new_block()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool pool, bool bad)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null) return;
                    if (bad) return;
                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Run(PagePool pool, bool bad)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    if (bad)
                    {
                        pool.PutFullPage(page, allowDirect: false);
                        return;
                    }
                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Page_never_put_gets_a_put_at_the_end_of_the_method()
    {
        const string source = """
            class Driver
            {
                int Fill(PagePool pool)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null) return 0;
                    page.Span.Clear();
                    return 1;
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                int Fill(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return 0;
                    page.Span.Clear();
                    pool.PutFullPage(page, allowDirect: false);
                    return 1;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Void_method_falling_off_its_end_gets_the_put_as_last_statement()
    {
        const string source = """
            class Driver
            {
                private readonly PagePool _pool;

                Driver(PagePool pool) => _pool = pool;

                void Touch()
                {
                    var page = {|PP0001:_pool.DevAllocPages()|};
                    if (page is null)
                    {
                        return;
                    }

                    page.Span[0] = 1;
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                private readonly PagePool _pool;

                Driver(PagePool pool) => _pool = pool;

                void Touch()
                {
                    var page = _pool.DevAllocPages();
                    if (page is null)
                    {
                        return;
                    }

                    page.Span[0] = 1;
                    _pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task In_a_napi_context_the_page_is_recycled_directly()
    {
        const string source = """
            class Driver
            {
                [NapiContext]
                int Poll(PagePool pool, int verdict)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null) return 0;
                    if (verdict == 0)
                    {
                        return 0;
                    }

                    pool.RecycleDirect(page);
                    return 1;
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                [NapiContext]
                int Poll(PagePool pool, int verdict)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return 0;
                    if (verdict == 0)
                    {
                        pool.RecycleDirect(page);
                        return 0;
                    }

                    pool.RecycleDirect(page);
                    return 1;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task After_an_await_in_a_napi_context_the_page_goes_through_the_ring()
    {
        const string source = """
            class Driver
            {
                [NapiContext]
                async Task Refill(PagePool pool)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null) return;
                    await Task.Yield();
                    page.Span.Clear();
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                [NapiContext]
                async Task Refill(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    await Task.Yield();
                    page.Span.Clear();
                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Explicit_throw_gets_the_put_before_it()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool pool, int length)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null) return;
                    if (length > page.Length)
                    {
                        throw new ArgumentOutOfRangeException(nameof(length));
                    }

                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Run(PagePool pool, int length)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    if (length > page.Length)
                    {
                        pool.PutFullPage(page, allowDirect: false);
                        throw new ArgumentOutOfRangeException(nameof(length));
                    }

                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Second_action_releases_the_page_and_drops_the_reference()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool pool, bool keep)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null) return;
                    if (keep)
                    {
                        return;
                    }

                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Run(PagePool pool, bool keep)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    if (keep)
                    {
                        pool.ReleasePage(page);
                        page.Put();
                        return;
                    }

                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, codeActionIndex: 1, equivalenceKey: EquivalenceKeys.InsertRelease);
    }

    [Fact]
    public Task Allocation_per_loop_iteration_is_put_at_the_end_of_the_iteration()
    {
        const string source = """
            class Driver
            {
                void Fill(PagePool pool, int count)
                {
                    for (var i = 0; i < count; i++)
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
            """;
        const string fixedSource = """
            class Driver
            {
                void Fill(PagePool pool, int count)
                {
                    for (var i = 0; i < count; i++)
                    {
                        var page = pool.DevAllocPages();
                        if (page is null)
                        {
                            break;
                        }

                        page.Span.Clear();
                        pool.PutFullPage(page, allowDirect: false);
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Return_that_reads_the_page_computes_its_value_before_the_put()
    {
        // Putting before `return page.Span[0]` would read the page after it went back; the value is taken first.
        const string source = """
            class Driver
            {
                int Peek(PagePool pool)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null) return 0;
                    return page.Span[0];
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                int Peek(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return 0;
                    int result = page.Span[0];
                    pool.PutFullPage(page, allowDirect: false);
                    return result;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Return_of_a_value_that_may_come_from_a_null_page_gets_a_guarded_put()
    {
        const string source = """
            class Driver
            {
                async Task<int> FillAsync(PagePool pool)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    await Task.Yield();
                    return page?.Length ?? 0;
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                async Task<int> FillAsync(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    await Task.Yield();
                    int result = page?.Length ?? 0;
                    if (page is not null)
                    {
                        pool.PutFullPage(page, allowDirect: false);
                    }
                    return result;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Shared_error_label_gets_the_put_on_the_leaking_goto_not_at_the_label()
    {
        // Kernel-style unwinding: the label is also reached where the page is null; the put goes before the goto
        // whose path owns it.
        const string source = """
            class Driver
            {
                int Open(PagePool pool, bool mapFails)
                {
                    int err;
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null)
                    {
                        err = -12;
                        goto fail;
                    }

                    if (mapFails)
                    {
                        err = -5;
                        goto fail;
                    }

                    pool.PutFullPage(page, allowDirect: false);
                    return 0;

                fail:
                    return err;
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                int Open(PagePool pool, bool mapFails)
                {
                    int err;
                    var page = pool.DevAllocPages();
                    if (page is null)
                    {
                        err = -12;
                        goto fail;
                    }

                    if (mapFails)
                    {
                        err = -5;
                        pool.PutFullPage(page, allowDirect: false);
                        goto fail;
                    }

                    pool.PutFullPage(page, allowDirect: false);
                    return 0;

                fail:
                    return err;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Error_label_reached_after_a_drop_that_recycled_the_page_gets_the_put_on_the_other_goto()
    {
        const string source = """
            class Driver
            {
                [NapiContext]
                int Rx(PagePool pool, int verdict)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null) return 0;
                    if (verdict == 1)
                    {
                        pool.RecycleDirect(page);
                        goto out_err;
                    }

                    if (verdict == 2) goto out_err;
                    pool.RecycleDirect(page);
                    return 1;

                out_err:
                    return -1;
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                [NapiContext]
                int Rx(PagePool pool, int verdict)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return 0;
                    if (verdict == 1)
                    {
                        pool.RecycleDirect(page);
                        goto out_err;
                    }

                    if (verdict == 2)
                    {
                        pool.RecycleDirect(page);
                        goto out_err;
                    }
                    pool.RecycleDirect(page);
                    return 1;

                out_err:
                    return -1;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Page_overwritten_in_a_loop_is_put_under_a_guard_because_the_first_iteration_has_none()
    {
        const string source = """
            class Driver
            {
                void Refill(PagePool pool, int count)
                {
                    Page? page = null;
                    for (var i = 0; i < count; i++)
                    {
                        page = {|PP0001:pool.DevAllocPages()|};
                        page?.Span.Clear();
                    }

                    if (page is not null) pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Refill(PagePool pool, int count)
                {
                    Page? page = null;
                    for (var i = 0; i < count; i++)
                    {
                        if (page is not null)
                        {
                            pool.PutFullPage(page, allowDirect: false);
                        }
                        page = pool.DevAllocPages();
                        page?.Span.Clear();
                    }

                    if (page is not null) pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Goto_to_a_label_at_the_end_that_the_put_back_path_also_reaches_gets_the_put_before_the_goto()
    {
        const string source = """
            class Driver
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
            """;
        const string fixedSource = """
            class Driver
            {
                void Fill(PagePool pool, bool skip)
                {
                    var page = pool.DevAllocPages();
                    if (page is null)
                    {
                        return;
                    }

                    if (skip)
                    {
                        pool.PutFullPage(page, allowDirect: false);
                        goto done;
                    }

                    pool.PutFullPage(page, false);
                done:
                    Console.WriteLine("done");
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Switch_section_that_only_breaks_gets_the_put_before_its_break()
    {
        const string source = """
            class Driver
            {
                [NapiContext]
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
            """;
        const string fixedSource = """
            class Driver
            {
                [NapiContext]
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
                        case XdpAction.Pass:
                            pool.ReleasePage(page);
                            page.Put();
                            break;
                        default:
                            pool.RecycleDirect(page);
                            break;
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Catch_that_swallows_the_exception_gets_its_own_put()
    {
        const string source = """
            class Driver
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
            """;
        const string fixedSource = """
            class Driver
            {
                void Fill(PagePool pool)
                {
                    var page = pool.DevAllocPages();
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
                        pool.PutFullPage(page, allowDirect: false);
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Break_out_of_the_loop_gets_the_put_before_the_break_where_the_page_is_in_scope()
    {
        const string source = """
            class Driver
            {
                void Drain(PagePool pool, Queue<int> work)
                {
                    while (work.Count > 0)
                    {
                        var page = {|PP0001:pool.DevAllocPages()|};
                        if (page is null) break;
                        if (work.Peek() < 0) break;
                        work.Dequeue();
                        pool.PutFullPage(page, allowDirect: false);
                    }
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Drain(PagePool pool, Queue<int> work)
                {
                    while (work.Count > 0)
                    {
                        var page = pool.DevAllocPages();
                        if (page is null) break;
                        if (work.Peek() < 0)
                        {
                            pool.PutFullPage(page, allowDirect: false);
                            break;
                        }
                        work.Dequeue();
                        pool.PutFullPage(page, allowDirect: false);
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Continue_that_skips_the_put_gets_its_own()
    {
        const string source = """
            class Driver
            {
                void Fill(PagePool pool, int[] lengths)
                {
                    foreach (var length in lengths)
                    {
                        var page = {|PP0001:pool.DevAllocPages()|};
                        if (page is null) continue;
                        if (length > page.Length) continue;
                        page.Span.Slice(0, length).Clear();
                        pool.PutFullPage(page, allowDirect: false);
                    }
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Fill(PagePool pool, int[] lengths)
                {
                    foreach (var length in lengths)
                    {
                        var page = pool.DevAllocPages();
                        if (page is null) continue;
                        if (length > page.Length)
                        {
                            pool.PutFullPage(page, allowDirect: false);
                            continue;
                        }
                        page.Span.Slice(0, length).Clear();
                        pool.PutFullPage(page, allowDirect: false);
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Page_taken_out_of_a_slot_goes_back_to_its_own_pool_not_to_Interlocked()
    {
        const string source = """
            class Driver
            {
                private Page? _slot;

                void Teardown()
                {
                    var page = {|PP0001:Interlocked.Exchange(ref _slot, null)|};
                    if (page is null) return;
                    page.Span.Clear();
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                private Page? _slot;

                void Teardown()
                {
                    var page = Interlocked.Exchange(ref _slot, null);
                    if (page is null) return;
                    page.Span.Clear();
                    page.Pool!.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Leak_past_an_if_without_else_gets_an_else_with_the_put_not_a_put_after_it()
    {
        // The end of the body is also reached after the put in the branch; a put there would be a double put.
        const string source = """
            class Driver
            {
                void Run(PagePool pool, bool send)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null) return;
                    if (send)
                    {
                        pool.PutFullPage(page, allowDirect: false);
                    }
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Run(PagePool pool, bool send)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    if (send)
                    {
                        pool.PutFullPage(page, allowDirect: false);
                    }
                    else
                    {
                        pool.PutFullPage(page, allowDirect: false);
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Allocation_whose_page_is_never_kept_gets_no_fix()
    {
        // Nothing names the page, so nothing can give it back; the author decides whether the call should be there.
        const string source = """
            class Driver
            {
                void Warm(PagePool pool)
                {
                    {|PP0001:pool.DevAllocPages()|};
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Fix_all_puts_every_leaked_page_in_every_document()
    {
        const string first = """
            class First
            {
                void A(PagePool pool, bool bad)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null) return;
                    if (bad)
                    {
                        return;
                    }

                    pool.PutFullPage(page, allowDirect: false);
                }

                [NapiContext]
                void B(PagePool pool)
                {
                    var page = {|PP0001:pool.DevAllocPages()|};
                    if (page is null) return;
                    page.Span.Clear();
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                void A(PagePool pool, bool bad)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    if (bad)
                    {
                        pool.PutFullPage(page, allowDirect: false);
                        return;
                    }

                    pool.PutFullPage(page, allowDirect: false);
                }

                [NapiContext]
                void B(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    page.Span.Clear();
                    pool.RecycleDirect(page);
                }
            }
            """;
        const string second = """
            class Second
            {
                void C(PagePool rx)
                {
                    var page = {|PP0001:rx.AllocPages(AllocFlags.Atomic)|};
                    if (page is null) return;
                    page.Span.Clear();
                }
            }
            """;
        const string secondFixed = """
            class Second
            {
                void C(PagePool rx)
                {
                    var page = rx.AllocPages(AllocFlags.Atomic);
                    if (page is null) return;
                    page.Span.Clear();
                    rx.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)]);
    }
}
