using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PoolRules.Analyzers.Flow;
using Xunit;

namespace PoolRules.Analyzers.Tests;

public sealed class PrefilterTests
{
    [Theory]
    [InlineData("var p = pool.DevAllocPages();")]
    [InlineData("var p = pool.AllocPages(AllocFlags.Atomic);")]
    [InlineData("var p = pool.AllocFrag(64, out var o);")]
    [InlineData("var s = 64; var p = pool.DevAlloc(ref s, out var o);")]
    [InlineData("pool.PutFullPage(page, false);")]
    [InlineData("pool.RecycleDirect(page);")]
    [InlineData("pool.ReleasePage(page);")]
    [InlineData("page.Put();")]
    [InlineData("var p = Interlocked.Exchange(ref slot, null);")]
    [InlineData("ring[i] = null;")]
    [InlineData("var a = ArrayPool<byte>.Shared.Rent(16);")]
    [InlineData("pool.Return(array);")]
    [InlineData("var sb = builders.Get();")]
    public void Body_that_may_touch_pages_is_analysed(string statement) =>
        Assert.True(PageFlowCache.MayInvolvePages(Body(statement), WithRuntime));

    [Theory]
    [InlineData("var n = pool.Inflight;")]
    [InlineData("Console.WriteLine(page.Length);")]
    [InlineData("var x = list.Count; list.Add(3);")]
    [InlineData("count = 0;")]
    public void Body_without_page_calls_is_skipped_before_any_graph_is_built(string statement) =>
        Assert.False(PageFlowCache.MayInvolvePages(Body(statement), WithRuntime));

    [Theory]
    [InlineData("pool.PutFullPage(page, false);")]
    [InlineData("page.Put();")]
    [InlineData("ring[i] = null;")]
    [InlineData("var sb = builders.Get();")]
    public void Page_names_and_Get_count_only_where_the_compilation_has_their_pools(string statement) =>
        Assert.False(PageFlowCache.MayInvolvePages(Body(statement), WithoutRuntime));

    [Theory]
    [InlineData("var a = ArrayPool<byte>.Shared.Rent(16);", true)]
    [InlineData("ArrayPool<byte>.Shared.Return(array);", true)]
    [InlineData("var a = ArrayPool<byte>.Shared.\\u0052ent(16);", true)]
    [InlineData("var a = ArrayPool<byte>.Shared.@Rent(16);", true)]
    [InlineData("var a = Current(); var b = Parent(); var c = Returned(); var d = GetSpan();", false)]
    [InlineData("// Rent and Return, in a comment only\n var n = 1;", false)]
    public void Rental_names_count_as_the_compiler_reads_them_not_as_substrings_of_other_names(string statement, bool found) =>
        Assert.Equal(found, PageFlowCache.MayInvolveRentals(Body(statement), WithoutRuntime));

    [Fact]
    public void Only_the_body_that_names_a_rental_passes_in_a_tree_that_has_one()
    {
        var bodies = CSharpSyntaxTree.ParseText("class C { void A() { var a = ArrayPool<byte>.Shared.Rent(16); } void B() { var n = Current(); } }")
            .GetRoot().DescendantNodes().OfType<BlockSyntax>().ToArray();
        Assert.True(PageFlowCache.MayInvolveRentals(bodies[0], WithoutRuntime));
        Assert.False(PageFlowCache.MayInvolveRentals(bodies[1], WithoutRuntime));
    }

    [Theory]
    [InlineData("[TakesPageOwnership] Page p")]
    [InlineData("[PoolRules.Runtime.TakesPageOwnershipAttribute] Page p")]
    [InlineData("[Obsolete(nameof(TakesPageOwnership))] Page p")]
    public void An_ownership_attribute_is_found_in_any_spelling_of_its_name(string parameter)
    {
        var tree = CSharpSyntaxTree.ParseText("class C { void M(" + parameter + ") { Use(p); } }");
        var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
        Assert.Equal(!parameter.Contains("nameof"), (WithRuntime.Flow.Marks(method) & CallMark.Other) != 0);
    }

    /// <summary>
    /// The index is built from the text where the text spells names one way; it must answer every node exactly as the
    /// walk of the whole tree does, on the corpus and on the places a word appears that are not a call.
    /// </summary>
    [Fact]
    public void Index_found_from_the_text_answers_every_node_as_the_full_walk()
    {
        var tricky = """
            using System.Buffers;
            class C
            {
                // pool.Rent(4) and ring[i] = null in a comment; "pool.Return(a)" in a string
                /// <summary>Calls <see cref="ArrayPool{T}.Rent"/>.</summary>
                void M(ArrayPool<byte> pool, Page?[] ring, int i, [TakesPageOwnership] Page p, [PoolRules.Runtime.TakesPageOwnershipAttribute] Page q)
                {
                    var a = pool.@Rent(4); var b = pool?.Rent(8); var s = $"{pool.Rent(2).Length} Rent";
                    ring[i] = null; ring[i] ??= null; var isNull = ring[i] == null; object o = null; o = (null);
                    Rent(); Returned(); RentAll(); GetSpan(); Get<int>(); this.Put(); p.Put(); PutPage(p); DevAllocPages();
            #if NEVER
                    pool.Return(a);
            #endif
                    pool.Return(a); pool.Return(b!);
                }
            }
            """;
        var sources = AllAnalyzers.ValidCode().Select(c => c.Text).Append(tricky).ToArray();
        foreach (var known in new[] { WithRuntime, WithoutRuntime })
        {
            var marked = 0;
            foreach (var source in sources)
            {
                var tree = CSharpSyntaxTree.ParseText(source);
                var words = CallNames.Words(known);
                var walked = CallNames.Walk(tree, known, default);
                var found = CallNames.For(tree, words, known, default);
                // Bottom-up and top-down, so places are resolved first from small nodes and first from the root.
                var nodes = tree.GetRoot().DescendantNodesAndSelf().ToArray();
                foreach (var node in nodes.Reverse().Concat(nodes))
                {
                    Assert.Equal(walked.In(node, words, known), found.In(node, words, known));
                    marked += walked.In(node, words, known) != CallMark.None ? 1 : 0;
                }
            }

            Assert.NotEqual(0, marked);
        }
    }

    [Fact]
    public void Compilation_without_any_pool_gets_no_symbols_at_all() =>
        Assert.Null(KnownSymbols.ForAnyPool(CSharpCompilation.Create("NoPools")));

    private static KnownSymbols WithRuntime { get; } = KnownSymbols.ForAnyPool(CSharpCompilation.Create("Prefilter", references: TestReferences.All))!;

    // net8.0 alone: ArrayPool and MemoryPool, neither the runtime nor ObjectPool.
    private static KnownSymbols WithoutRuntime { get; } = KnownSymbols.ForAnyPool(CSharpCompilation.Create("PrefilterNet", references: Basic.Reference.Assemblies.Net80.References.All))!;

    private static BlockSyntax Body(string statement) =>
        CSharpSyntaxTree.ParseText("class C { void M() { " + statement + " } }")
            .GetRoot().DescendantNodes().OfType<BlockSyntax>().First();
}
