using System.Threading.Tasks;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0007BlockingInNapiAnalyzer, PoolRules.CodeFixes.PP0007DevAllocCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0007DevAllocCodeFixTests
{
    [Fact]
    public Task May_block_allocation_in_a_napi_poll_becomes_DevAllocPages()
    {
        const string source = """
            class Driver
            {
                private readonly PagePool _pool = PagePool.Create(new PagePoolParams());

                [NapiContext]
                int Poll(Napi napi, int budget)
                {
                    var page = {|PP0007:_pool.AllocPages(AllocFlags.MayBlock)|};
                    if (page is null) return 0;
                    _pool.RecycleDirect(page);
                    return 1;
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                private readonly PagePool _pool = PagePool.Create(new PagePoolParams());

                [NapiContext]
                int Poll(Napi napi, int budget)
                {
                    var page = _pool.DevAllocPages();
                    if (page is null) return 0;
                    _pool.RecycleDirect(page);
                    return 1;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task May_block_with_no_warn_as_a_named_argument_in_a_poll_lambda_becomes_DevAllocPages()
    {
        // Dropping MayBlock from MayBlock | NoWarn leaves exactly DevAllocPages' Atomic | NoWarn.
        const string source = """
            class Driver
            {
                Napi Start(NetDevice dev, PagePool?[] pools) => new Napi(dev, (napi, budget) =>
                {
                    var page = pools[0]?{|PP0007:.AllocPages(flags: AllocFlags.MayBlock | AllocFlags.NoWarn)|};
                    if (page is null) return 0;
                    page.Pool!.RecycleDirect(page);
                    return 1;
                });
            }
            """;
        const string fixedSource = """
            class Driver
            {
                Napi Start(NetDevice dev, PagePool?[] pools) => new Napi(dev, (napi, budget) =>
                {
                    var page = pools[0]?.DevAllocPages();
                    if (page is null) return 0;
                    page.Pool!.RecycleDirect(page);
                    return 1;
                });
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task May_block_with_a_flag_DevAllocPages_does_not_have_gets_no_fix()
    {
        // Bit 4 means nothing DevAllocPages says; dropping it silently would change the call.
        const string source = """
            class Driver
            {
                [NapiContext]
                Page? Refill(PagePool pool) => {|PP0007:pool.AllocPages((AllocFlags)5)|};
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Other_blocking_calls_get_no_fix()
    {
        // Each has to leave the poll (a worker, a lock-free counter): a design change, not an edit.
        const string source = """
            class Driver
            {
                private readonly object _gate = new();
                private readonly SemaphoreSlim _slots = new(1);

                [NapiContext]
                async Task<int> Poll(Task<int> pending)
                {
                    {|PP0007:Thread.Sleep(1)|};
                    {|PP0007:lock (_gate)|}
                    {
                    }

                    {|PP0007:_slots.Wait()|};
                    var value = {|PP0007:pending.Result|};
                    return value + {|PP0007:await pending|};
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Fix_all_makes_every_may_block_allocation_atomic_and_passes_over_the_rest()
    {
        const string first = """
            class First
            {
                [NapiContext]
                void Refill(PagePool pool, Page?[] ring)
                {
                    ring[0] = {|PP0007:pool.AllocPages(AllocFlags.MayBlock)|};
                    {|PP0007:Thread.Sleep(0)|};
                    ring[1] = {|PP0007:pool.AllocPages(AllocFlags.MayBlock | AllocFlags.NoWarn)|};
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                [NapiContext]
                void Refill(PagePool pool, Page?[] ring)
                {
                    ring[0] = pool.DevAllocPages();
                    {|PP0007:Thread.Sleep(0)|};
                    ring[1] = pool.DevAllocPages();
                }
            }
            """;
        const string second = """
            class Second
            {
                [NapiContext]
                Page? Take(PagePool pool) => {|PP0007:pool.AllocPages(AllocFlags.MayBlock)|};
            }
            """;
        const string secondFixed = """
            class Second
            {
                [NapiContext]
                Page? Take(PagePool pool) => pool.DevAllocPages();
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)]);
    }
}
