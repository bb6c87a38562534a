using System.Threading.Tasks;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0005UseAfterPutAnalyzer, PoolRules.CodeFixes.PP0005MovePutAfterLastUseCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0005MovePutAfterLastUseCodeFixTests
{
    [Fact]
    public Task Put_moves_after_the_last_of_several_uses_in_its_block()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.PutFullPage(page, allowDirect: false);
                    {|PP0005:page|}.Span.Clear();
                    Console.WriteLine({|PP0005:page|}.Length);
                    Console.WriteLine("done");
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Run(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    page.Span.Clear();
                    Console.WriteLine(page.Length);
                    pool.PutFullPage(page, allowDirect: false);
                    Console.WriteLine("done");
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, iterations: 1);
    }

    [Fact]
    public Task Drop_after_release_moves_after_the_use()
    {
        const string source = """
            class Driver
            {
                static void BuildSkb(Page page) => Console.WriteLine(page.Address);

                void ToStack(PagePool pool, [TakesPageOwnership] Page page)
                {
                    pool.ReleasePage(page);
                    page.Put();
                    BuildSkb({|PP0005:page|});
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                static void BuildSkb(Page page) => Console.WriteLine(page.Address);

                void ToStack(PagePool pool, [TakesPageOwnership] Page page)
                {
                    pool.ReleasePage(page);
                    BuildSkb(page);
                    page.Put();
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Put_moves_past_a_whole_statement_whose_branch_uses_the_page()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool pool, bool verbose)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.PutPage(page, 64, allowDirect: false);
                    if (verbose)
                    {
                        Console.WriteLine({|PP0005:page|}.Nid);
                    }
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Run(PagePool pool, bool verbose)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    if (verbose)
                    {
                        Console.WriteLine(page.Nid);
                    }
                    pool.PutPage(page, 64, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Returned_value_is_read_before_the_put()
    {
        // The rule page's own example: the return cannot come before the put, so its value is read first.
        const string source = """
            class Driver
            {
                [NapiContext]
                int Handle(PagePool pool, [TakesPageOwnership] Page page)
                {
                    pool.RecycleDirect(page);
                    return {|PP0005:page|}.Span[0];
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                [NapiContext]
                int Handle(PagePool pool, [TakesPageOwnership] Page page)
                {
                    var result = page.Span[0];
                    pool.RecycleDirect(page);
                    return result;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Use_through_an_alias_moves_the_put_after_the_alias_use()
    {
        const string source = """
            class Driver
            {
                int Run(PagePool pool)
                {
                    var page = pool.DevAllocPages()!;
                    var alias = page;
                    pool.PutFullPage(page, false);
                    var length = {|PP0005:alias|}.Length;
                    return length;
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                int Run(PagePool pool)
                {
                    var page = pool.DevAllocPages()!;
                    var alias = page;
                    var length = alias.Length;
                    pool.PutFullPage(page, false);
                    return length;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Put_in_a_branch_with_the_use_after_it_gets_no_fix()
    {
        // Lifting either put out of its branch changes which path gives the page back.
        const string source = """
            class Driver
            {
                int Run(PagePool pool, bool direct)
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
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Put_in_a_loop_with_the_use_after_the_loop_gets_no_fix()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool pool, [TakesPageOwnership] Page page, int count)
                {
                    do
                    {
                        pool.PutFullPage(page, false);
                        break;
                    }
                    while (count-- > 0);

                    Console.WriteLine({|PP0005:page|}.Length);
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Use_that_can_return_before_the_moved_put_gets_no_fix()
    {
        // Moving the put after the if would leak the page on the early return: the verifier refuses it.
        const string source = """
            class Driver
            {
                void Run(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.PutFullPage(page, false);
                    if ({|PP0005:page|}.Length == 0) return;
                    Console.WriteLine("done");
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Returning_the_put_page_itself_gets_no_fix()
    {
        // The caller would get a page that is already back in the pool, whatever the order.
        const string source = """
            class Driver
            {
                Page Run(PagePool pool)
                {
                    var page = pool.DevAllocPages()!;
                    pool.PutFullPage(page, false);
                    return {|PP0005:page|};
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Use_inside_a_later_lambda_gets_no_fix()
    {
        // The lambda may run after any put, wherever it moves.
        const string source = """
            class Driver
            {
                void Run(PagePool pool, List<Action> later)
                {
                    var page = pool.DevAllocPages()!;
                    pool.PutFullPage(page, false);
                    Console.WriteLine({|PP0005:page|}.Length);
                    later.Add(() => Console.WriteLine(page.Nid));
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Use_that_changes_what_the_put_reads_gets_no_fix()
    {
        // Moved after the use, the put would sync another length.
        const string source = """
            class Driver
            {
                void Run(PagePool pool, int length)
                {
                    var page = pool.DevAllocPages()!;
                    pool.PutPage(page, length, false);
                    length = {|PP0005:page|}.Length;
                    Console.WriteLine(length);
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Put_by_a_helper_gets_no_fix()
    {
        // Moving the helper call would move whatever else it does.
        const string source = """
            class Driver
            {
                static void Done(PagePool pool, Page page)
                {
                    Console.WriteLine("done");
                    pool.PutFullPage(page, false);
                }

                void Run(PagePool pool)
                {
                    var page = pool.DevAllocPages()!;
                    Done(pool, page);
                    Console.WriteLine({|PP0005:page|}.Length);
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Fix_all_moves_every_early_put_in_every_document()
    {
        const string first = """
            class First
            {
                void A(PagePool pool)
                {
                    var page = pool.DevAllocPages()!;
                    pool.PutFullPage(page, false);
                    {|PP0005:page|}.Span.Clear();
                }

                int B(PagePool pool, bool direct)
                {
                    var page = pool.DevAllocPages()!;
                    if (direct) pool.RecycleDirect(page); else pool.PutFullPage(page, false);
                    return {|PP0005:page|}.Length;
                }

                void C(PagePool pool)
                {
                    var page = pool.DevAllocPages()!;
                    pool.ReleasePage(page);
                    page.Put();
                    Console.WriteLine({|PP0005:page|}.Address);
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                void A(PagePool pool)
                {
                    var page = pool.DevAllocPages()!;
                    page.Span.Clear();
                    pool.PutFullPage(page, false);
                }

                int B(PagePool pool, bool direct)
                {
                    var page = pool.DevAllocPages()!;
                    if (direct) pool.RecycleDirect(page); else pool.PutFullPage(page, false);
                    return {|PP0005:page|}.Length;
                }

                void C(PagePool pool)
                {
                    var page = pool.DevAllocPages()!;
                    pool.ReleasePage(page);
                    Console.WriteLine(page.Address);
                    page.Put();
                }
            }
            """;
        const string second = """
            class Second
            {
                [NapiContext]
                int D(PagePool pool, [TakesPageOwnership] Page page)
                {
                    pool.RecycleDirect(page);
                    return {|PP0005:page|}.Span[0] + {|PP0005:page|}.Span[1];
                }
            }
            """;
        const string secondFixed = """
            class Second
            {
                [NapiContext]
                int D(PagePool pool, [TakesPageOwnership] Page page)
                {
                    var result = page.Span[0] + page.Span[1];
                    pool.RecycleDirect(page);
                    return result;
                }
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)]);
    }
}
