using System.Threading.Tasks;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0008WrongPoolAnalyzer, PoolRules.CodeFixes.PP0008PutToOwningPoolCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0008PutToOwningPoolCodeFixTests
{
    [Fact]
    public Task Put_to_another_parameter_pool_goes_to_the_allocating_pool()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool rx0, PagePool rx1)
                {
                    var page = rx0.DevAllocPages();
                    if (page is null) return;
                    {|PP0008:rx1.PutFullPage(page, allowDirect: false)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Run(PagePool rx0, PagePool rx1)
                {
                    var page = rx0.DevAllocPages();
                    if (page is null) return;
                    rx0.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Put_to_another_field_pool_goes_to_the_allocating_field()
    {
        const string source = """
            class Driver
            {
                private readonly PagePool _rxPool;
                private readonly PagePool _txPool;

                Driver(PagePool rx, PagePool tx) { _rxPool = rx; _txPool = tx; }

                [NapiContext]
                void Poll()
                {
                    var page = _rxPool.DevAllocPages();
                    if (page is null) return;
                    {|PP0008:_txPool.RecycleDirect(page)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                private readonly PagePool _rxPool;
                private readonly PagePool _txPool;

                Driver(PagePool rx, PagePool tx) { _rxPool = rx; _txPool = tx; }

                [NapiContext]
                void Poll()
                {
                    var page = _rxPool.DevAllocPages();
                    if (page is null) return;
                    _rxPool.RecycleDirect(page);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Put_page_keeps_its_sync_size_and_direct_flag()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool a, PagePool b, int length)
                {
                    var page = a.AllocPages(AllocFlags.Atomic);
                    if (page is null) return;
                    {|PP0008:b.PutPage(page, length, allowDirect: false)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Run(PagePool a, PagePool b, int length)
                {
                    var page = a.AllocPages(AllocFlags.Atomic);
                    if (page is null) return;
                    a.PutPage(page, length, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Release_to_another_pool_goes_to_the_allocating_pool()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool a, PagePool b)
                {
                    var page = a.DevAllocPages();
                    if (page is null) return;
                    {|PP0008:b.ReleasePage(page)|};
                    page.Put();
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Run(PagePool a, PagePool b)
                {
                    var page = a.DevAllocPages();
                    if (page is null) return;
                    a.ReleasePage(page);
                    page.Put();
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Put_in_one_branch_to_the_wrong_local_pool_is_fixed_and_the_other_branch_kept()
    {
        const string source = """
            class Driver
            {
                void Run(PagePool[] pools, bool drop)
                {
                    var mine = pools[0];
                    var other = pools[1];
                    var page = mine.DevAllocPages();
                    if (page is null) return;
                    if (drop)
                    {
                        mine.PutFullPage(page, allowDirect: false);
                    }
                    else
                    {
                        {|PP0008:other.PutFullPage(page, allowDirect: false)|}; // wrong queue
                    }
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Run(PagePool[] pools, bool drop)
                {
                    var mine = pools[0];
                    var other = pools[1];
                    var page = mine.DevAllocPages();
                    if (page is null) return;
                    if (drop)
                    {
                        mine.PutFullPage(page, allowDirect: false);
                    }
                    else
                    {
                        mine.PutFullPage(page, allowDirect: false); // wrong queue
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Fragment_put_to_another_pool_goes_to_the_allocating_pool()
    {
        const string source = """
            class Driver
            {
                int Run(PagePool small, PagePool large)
                {
                    var page = small.AllocFrag(256, out var offset);
                    if (page is null) return 0;
                    var first = page.Span[offset];
                    {|PP0008:large.PutFullPage(page, allowDirect: false)|};
                    return first;
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                int Run(PagePool small, PagePool large)
                {
                    var page = small.AllocFrag(256, out var offset);
                    if (page is null) return 0;
                    var first = page.Span[offset];
                    small.PutFullPage(page, allowDirect: false);
                    return first;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Pool_chosen_at_run_time_gets_the_pages_own_pool_not_the_other_field()
    {
        // Naming _rx1 would only swap the bug onto the queue-0 page; the page knows its pool.
        const string source = """
            class Driver
            {
                private readonly PagePool _rx0;
                private readonly PagePool _rx1;

                Driver(PagePool rx0, PagePool rx1)
                {
                    _rx0 = rx0;
                    _rx1 = rx1;
                }

                void Run(int queue)
                {
                    var page = queue switch
                    {
                        0 => _rx0.DevAllocPages(),
                        _ => _rx1.DevAllocPages(),
                    };
                    if (page is null) return;
                    {|PP0008:_rx0.PutFullPage(page, allowDirect: false)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                private readonly PagePool _rx0;
                private readonly PagePool _rx1;

                Driver(PagePool rx0, PagePool rx1)
                {
                    _rx0 = rx0;
                    _rx1 = rx1;
                }

                void Run(int queue)
                {
                    var page = queue switch
                    {
                        0 => _rx0.DevAllocPages(),
                        _ => _rx1.DevAllocPages(),
                    };
                    if (page is null) return;
                    page.Pool!.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Fix_all_puts_every_page_back_to_its_own_pool_in_every_document()
    {
        const string first = """
            class First
            {
                void A(PagePool a, PagePool b)
                {
                    var page = a.DevAllocPages();
                    if (page is null) return;
                    {|PP0008:b.PutFullPage(page, allowDirect: false)|};
                }

                void B(PagePool a, PagePool b)
                {
                    var page = b.DevAllocPages();
                    if (page is null) return;
                    {|PP0008:a.PutFullPage(page, allowDirect: false)|};
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                void A(PagePool a, PagePool b)
                {
                    var page = a.DevAllocPages();
                    if (page is null) return;
                    a.PutFullPage(page, allowDirect: false);
                }

                void B(PagePool a, PagePool b)
                {
                    var page = b.DevAllocPages();
                    if (page is null) return;
                    b.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        const string second = """
            class Second
            {
                void C(PagePool rx, PagePool tx)
                {
                    var page = rx.DevAllocPages();
                    if (page is null) return;
                    {|PP0008:tx.PutFullPage(page, allowDirect: false)|};
                }
            }
            """;
        const string secondFixed = """
            class Second
            {
                void C(PagePool rx, PagePool tx)
                {
                    var page = rx.DevAllocPages();
                    if (page is null) return;
                    rx.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)]);
    }
}
