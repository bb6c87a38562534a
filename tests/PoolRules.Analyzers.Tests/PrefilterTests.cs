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
    public void Body_that_may_touch_pages_is_analysed(string statement) =>
        Assert.True(PageFlowCache.MayInvolvePages(Body(statement)));

    [Theory]
    [InlineData("var n = pool.Inflight;")]
    [InlineData("Console.WriteLine(page.Length);")]
    [InlineData("var x = list.Count; list.Add(3);")]
    [InlineData("count = 0;")]
    public void Body_without_page_calls_is_skipped_before_any_graph_is_built(string statement) =>
        Assert.False(PageFlowCache.MayInvolvePages(Body(statement)));

    private static BlockSyntax Body(string statement) =>
        CSharpSyntaxTree.ParseText("class C { void M() { " + statement + " } }")
            .GetRoot().DescendantNodes().OfType<BlockSyntax>().First();
}
