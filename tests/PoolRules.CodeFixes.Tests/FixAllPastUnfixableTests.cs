using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;
using Xunit;
using Leak = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0001PageLeakAnalyzer, PoolRules.CodeFixes.PP0001InsertPutCodeFix>;
using Params = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0006InvalidPoolParamsAnalyzer, PoolRules.CodeFixes.PP0006PoolParamsCodeFix>;

namespace PoolRules.CodeFixes.Tests;

/// <summary>
/// Issue #16, class 8: a diagnostic without a proven fix must not stop Fix All for the others, neither when the host
/// passes the equivalence key of the action it chose nor when it passes none (what <c>dotnet format analyzers</c>
/// does when the first diagnostic it saw had no fix).
/// </summary>
public class FixAllPastUnfixableTests
{
    private const string Leaks = """
        class Driver
        {
            void Warm(PagePool pool)
            {
                {|PP0001:pool.DevAllocPages()|};
            }

            void Run(PagePool pool, bool bad)
            {
                var page = {|PP0001:pool.DevAllocPages()|};
                if (page is null) return;
                if (bad) return;
                pool.PutFullPage(page, allowDirect: false);
            }
        }
        """;

    private const string LeaksFixed = """
        class Driver
        {
            void Warm(PagePool pool)
            {
                {|PP0001:pool.DevAllocPages()|};
            }

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

    [Fact]
    public Task Fix_all_fixes_the_leak_after_one_that_has_no_fix()
    {
        return Leak.FixAllAsync([(Leaks, LeaksFixed)], equivalenceKey: EquivalenceKeys.InsertPut);
    }

    [Fact]
    public Task Fix_all_sets_DmaMap_beside_a_pool_size_no_edit_can_fix()
    {
        // Which ring size was meant is the author's call; the missing map flag has one right answer.
        const string source = """
            class Driver
            {
                PagePool Big() => PagePool.Create(new PagePoolParams { {|PP0006:PoolSize = 40000|} });

                PagePool Synced(IDmaDevice dev) => PagePool.Create(new PagePoolParams { {|PP0006:Flags = PagePoolFlags.DmaSyncDevice|}, Device = dev, MaxLength = 1024 });
            }
            """;
        const string fixedSource = """
            class Driver
            {
                PagePool Big() => PagePool.Create(new PagePoolParams { {|PP0006:PoolSize = 40000|} });

                PagePool Synced(IDmaDevice dev) => PagePool.Create(new PagePoolParams { Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice, Device = dev, MaxLength = 1024 });
            }
            """;
        return Params.FixAllAsync([(source, fixedSource)], equivalenceKey: EquivalenceKeys.AddDmaMap);
    }

    [Theory]
    [InlineData(FixAllScope.Document)]
    [InlineData(FixAllScope.Project)]
    [InlineData(FixAllScope.Solution)]
    public async Task Fix_all_without_an_equivalence_key_takes_each_diagnostics_first_action(FixAllScope scope)
    {
        var document = FixHarness.Document(Unmark(Leaks));
        var action = await FixHarness.FixAllAsync(document, new PP0001InsertPutCodeFix(), scope, equivalenceKey: null);

        Assert.NotNull(action);
        var text = (await (await FixHarness.ApplyAsync(document, action)).GetTextAsync()).ToString();
        Assert.Equal(Leak.Usings + Unmark(LeaksFixed), text.ReplaceLineEndings("\n"));
    }

    private static string Unmark(string source) => source.Replace("{|PP0001:", "").Replace(")|}", ")");
}
