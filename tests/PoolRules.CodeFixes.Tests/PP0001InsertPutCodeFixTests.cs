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
    public Task Return_that_reads_the_page_gets_no_fix_that_would_use_it_after_the_put()
    {
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
