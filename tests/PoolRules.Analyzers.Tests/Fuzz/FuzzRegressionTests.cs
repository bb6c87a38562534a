using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Xunit;

namespace PoolRules.Analyzers.Tests.Fuzz;

/// <summary>Crashes the mutation fuzzer found, each reduced to the shape that caused it.</summary>
public sealed class FuzzRegressionTests
{
    [Theory]
    [InlineData("""
        public sealed class Duplicated
        {
            public void Run(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null) return;
                Consume(page);
                void Consume(Page p) => pool.PutFullPage(p, false);
                void Consume(Page p) => pool.PutFullPage(p, false);
            }
        }
        """)]
    [InlineData("""
        public sealed class Elsewhere
        {
            public void Run(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null) return;
                Consume(page);
                System.Action later = () =>
                {
                    void Consume(Page p) => pool.PutFullPage(p, false);
                };
            }
        }
        """)]
    [InlineData("""
        public sealed class Stray
        {
            public void Run(PagePool pool)
            {
                var page = pool.DevAllocPages();
                if (page is null) return;
                Free(pool, page);
            }
        {
                var spare = 0;
            }

            private static void Free(PagePool pool, Page page) => pool.PutFullPage(page, false);
        }
        """)]
    public async Task Call_to_a_local_function_the_graph_does_not_declare_is_analysed_without_a_fault(string source)
    {
        var compilation = AllAnalyzers.Compile("Broken", TestReferences.All, ("Broken.cs", Verify<PP0001PageLeakAnalyzer>.Usings + source));

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(compilation);

        Assert.Empty(exceptions);
        Assert.Empty(EngineFaults.Drain());
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }
}
