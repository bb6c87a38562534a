using System.Threading.Tasks;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0002DoublePutAnalyzer, PoolRules.CodeFixes.PP0002RemoveSecondPutCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0002RemoveSecondPutCodeFixTests
{
    [Fact]
    public Task Put_after_put_loses_the_second_put()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.PutFullPage(page, allowDirect: false);
                    {|PP0002:pool.PutFullPage(page, allowDirect: false)|};
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
                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Release_after_put_loses_the_release()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.PutPage(page, 128, allowDirect: false);
                    {|PP0002:pool.ReleasePage(page)|};
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
                    pool.PutPage(page, 128, allowDirect: false);
                    Console.WriteLine("done");
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Put_after_release_and_drop_loses_the_put()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.ReleasePage(page);
                    page.Put();
                    {|PP0002:pool.PutFullPage(page, allowDirect: false)|};
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
                    pool.ReleasePage(page);
                    page.Put();
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Comments_of_the_kept_put_and_of_the_next_statement_survive()
    {
        const string source = """
            class Driver
            {
                int Run(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return 0;
                    // Back to the ring: we are not in NAPI context.
                    pool.PutFullPage(page, allowDirect: false);
                    {|PP0002:pool.PutFullPage(page, allowDirect: false)|}; // again
                    // Report what we did.
                    return 1;
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                int Run(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return 0;
                    // Back to the ring: we are not in NAPI context.
                    pool.PutFullPage(page, allowDirect: false);
                    // Report what we did.
                    return 1;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Second_put_after_both_branches_put_is_removed()
    {
        const string source = """
            class Driver
            {
                [NapiContext]
                void Poll(PagePool pool, bool drop)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    if (drop)
                    {
                        pool.RecycleDirect(page);
                    }
                    else
                    {
                        pool.ReleasePage(page);
                        page.Put();
                    }

                    {|PP0002:pool.RecycleDirect(page)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                [NapiContext]
                void Poll(PagePool pool, bool drop)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    if (drop)
                    {
                        pool.RecycleDirect(page);
                    }
                    else
                    {
                        pool.ReleasePage(page);
                        page.Put();
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Second_put_in_a_switch_section_is_removed()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool pool, int verdict)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    switch (verdict)
                    {
                        case 0:
                            pool.PutFullPage(page, allowDirect: false);
                            {|PP0002:pool.PutFullPage(page, allowDirect: false)|};
                            break;
                        default:
                            pool.PutFullPage(page, allowDirect: false);
                            break;
                    }
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Run(PagePool pool, int verdict)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    switch (verdict)
                    {
                        case 0:
                            pool.PutFullPage(page, allowDirect: false);
                            break;
                        default:
                            pool.PutFullPage(page, allowDirect: false);
                            break;
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Second_put_as_an_unbraced_if_body_becomes_an_empty_block()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool pool, bool again)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.PutFullPage(page, allowDirect: false);
                    if (again)
                        {|PP0002:pool.PutFullPage(page, allowDirect: false)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Run(PagePool pool, bool again)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.PutFullPage(page, allowDirect: false);
                    if (again)
                    {
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task First_put_in_a_branch_goes_and_the_put_every_path_reaches_stays()
    {
        // Removing the second put would leak the page whenever the branch is not taken.
        const string source = """
            class Driver
            {
                void Complete(PagePool pool, [TakesPageOwnership] Page page, bool error)
                {
                    if (error)
                    {
                        pool.PutFullPage(page, allowDirect: false);
                    }

                    {|PP0002:pool.PutFullPage(page, allowDirect: false)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Complete(PagePool pool, [TakesPageOwnership] Page page, bool error)
                {
                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Put_in_a_catch_goes_when_the_put_after_the_try_covers_every_path()
    {
        const string source = """
            class Driver
            {
                void Transmit(PagePool pool, int length)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    try
                    {
                        if (length > page.Length) throw new InvalidOperationException("frame too long");
                        page.Span.Slice(0, length).Clear();
                    }
                    catch (InvalidOperationException)
                    {
                        pool.PutFullPage(page, allowDirect: false);
                        Console.WriteLine("send failed");
                    }

                    {|PP0002:pool.PutFullPage(page, allowDirect: false)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Transmit(PagePool pool, int length)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    try
                    {
                        if (length > page.Length) throw new InvalidOperationException("frame too long");
                        page.Span.Slice(0, length).Clear();
                    }
                    catch (InvalidOperationException)
                    {
                        Console.WriteLine("send failed");
                    }

                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task The_same_put_repeated_by_a_loop_gets_no_fix_because_removing_it_leaks()
    {
        const string source = """
            class Driver
            {
                void Drain(PagePool pool, [TakesPageOwnership] Page page, int count)
                {
                    do
                    {
                        {|PP0002:pool.PutFullPage(page, allowDirect: false)|};
                    }
                    while (--count > 0);
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Fix_all_removes_every_second_put_in_every_document()
    {
        const string first = """
            class First
            {
                void A(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.PutFullPage(page, allowDirect: false);
                    {|PP0002:pool.PutFullPage(page, allowDirect: false)|};
                }

                void B(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.ReleasePage(page);
                    {|PP0002:pool.ReleasePage(page)|};
                    page.Put();
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                void A(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.PutFullPage(page, allowDirect: false);
                }

                void B(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.ReleasePage(page);
                    page.Put();
                }
            }
            """;
        const string second = """
            class Second
            {
                [NapiContext]
                void C(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.RecycleDirect(page);
                    {|PP0002:pool.RecycleDirect(page)|};
                }
            }
            """;
        const string secondFixed = """
            class Second
            {
                [NapiContext]
                void C(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    if (page is null) return;
                    pool.RecycleDirect(page);
                }
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)]);
    }
}
