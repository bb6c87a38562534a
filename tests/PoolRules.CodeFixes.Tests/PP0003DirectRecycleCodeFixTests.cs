using System.Threading;
using System.Threading.Tasks;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using PoolRules.Analyzers;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0003DirectRecycleOutsideNapiAnalyzer, PoolRules.CodeFixes.PP0003DirectRecycleCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0003DirectRecycleCodeFixTests
{
    [Fact]
    public Task RecycleDirect_outside_napi_becomes_a_put_through_the_ring()
    {
        const string source = """
            class Driver
            {
                void Drain(PagePool pool, Page page)
                {
                    {|PP0003:pool.RecycleDirect(page)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Drain(PagePool pool, Page page)
                {
                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.PutThroughRing);
    }

    [Fact]
    public Task PutFullPage_with_true_gets_allowDirect_false()
    {
        const string source = """
            class Driver
            {
                void Drain(PagePool pool, Page page)
                {
                    {|PP0003:pool.PutFullPage(page, true)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Drain(PagePool pool, Page page)
                {
                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.PutThroughRing);
    }

    [Fact]
    public Task PutPage_keeps_its_sync_size()
    {
        const string source = """
            class Driver
            {
                void Complete(PagePool pool, Page page, int length)
                {
                    {|PP0003:pool.PutPage(page, length, allowDirect: true)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Complete(PagePool pool, Page page, int length)
                {
                    pool.PutPage(page, length, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.PutThroughRing);
    }

    [Fact]
    public Task Lambda_handed_to_Task_Run_is_only_offered_the_ring()
    {
        const string source = """
            class Driver
            {
                Task Later(PagePool pool, Page page) => Task.Run(() => {|PP0003:pool.RecycleDirect(page)|});
            }
            """;
        const string fixedSource = """
            class Driver
            {
                Task Later(PagePool pool, Page page) => Task.Run(() => pool.PutFullPage(page, allowDirect: false));
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.PutThroughRing);
    }

    [Fact]
    public async Task A_method_nothing_calls_is_not_offered_the_attribute_only_the_ring()
    {
        // "Runs from the poll only" is a comment, not a proof: marking it would silence the rule without making it safe.
        const string source = """
            class Driver
            {
                // Runs from the poll only.
                private void Drop(PagePool pool, Page page)
                {
                    pool.RecycleDirect(page);
                }
            }
            """;
        Assert.Equal(["Return the page through the ring (allowDirect: false)"], await FixHarness.TitlesAsync(source, "PP0003"));
    }

    [Fact]
    public async Task A_timer_callback_is_only_offered_the_ring()
    {
        const string source = """
            class Driver
            {
                private readonly PagePool _pool;
                private readonly Timer _timer;
                private Page? _held;

                Driver(PagePool pool)
                {
                    _pool = pool;
                    _timer = new Timer(_ => Expire(), null, 100, 100);
                }

                private void Expire()
                {
                    if (Interlocked.Exchange(ref _held, null) is { } page)
                    {
                        _pool.RecycleDirect(page);
                    }
                }
            }
            """;
        Assert.Equal(["Return the page through the ring (allowDirect: false)"], await FixHarness.TitlesAsync(source, "PP0003"));
    }

    [Fact]
    public async Task A_local_function_handed_out_as_a_delegate_is_only_offered_the_ring()
    {
        const string source = """
            class Driver
            {
                Action Prepare(PagePool pool, Page page)
                {
                    return Drop;

                    void Drop()
                    {
                        pool.RecycleDirect(page);
                    }
                }
            }
            """;
        Assert.Equal(["Return the page through the ring (allowDirect: false)"], await FixHarness.TitlesAsync(source, "PP0003"));
    }

    [Fact]
    public Task A_napi_context_method_called_from_outside_one_gets_no_fix()
    {
        // Whether the caller or the callee is wrong only the author knows; no edit is proven right.
        const string source = """
            class Driver
            {
                [NapiContext]
                void Poll(PagePool pool, Page page) => pool.RecycleDirect(page);

                void Teardown(PagePool pool, Page page) => {|PP0003:Poll(pool, page)|};
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Fix_all_puts_every_direct_recycle_through_the_ring_in_every_document()
    {
        const string first = """
            class First
            {
                void A(PagePool pool, Page page) => {|PP0003:pool.RecycleDirect(page)|};

                void B(PagePool pool, Page page, Page other)
                {
                    {|PP0003:pool.PutFullPage(page, allowDirect: true)|};
                    {|PP0003:pool.PutPage(other, 64, true)|};
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                void A(PagePool pool, Page page) => pool.PutFullPage(page, allowDirect: false);

                void B(PagePool pool, Page page, Page other)
                {
                    pool.PutFullPage(page, allowDirect: false);
                    pool.PutPage(other, 64, allowDirect: false);
                }
            }
            """;
        const string second = """
            class Second
            {
                void C(PagePool pool, Page page) => ThreadPool.QueueUserWorkItem(_ => {|PP0003:pool.RecycleDirect(page)|});
            }
            """;
        const string secondFixed = """
            class Second
            {
                void C(PagePool pool, Page page) => ThreadPool.QueueUserWorkItem(_ => pool.PutFullPage(page, allowDirect: false));
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)], equivalenceKey: EquivalenceKeys.PutThroughRing);
    }
}
