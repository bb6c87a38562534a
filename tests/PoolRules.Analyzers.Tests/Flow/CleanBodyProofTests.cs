using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using PoolRules.Analyzers.Flow;
using Xunit;

namespace PoolRules.Analyzers.Tests.Flow;

/// <summary>
/// The clean-body proof decides which bodies get no control flow graph. It must accept the correct shapes drivers are
/// made of (or the analyzers stay slow) and refuse every body the engine reports on (the analyzer tests run with the
/// cross-check on, so any refusal missed there fails as AD0001); here each side is pinned on its own.
/// </summary>
public sealed class CleanBodyProofTests
{
    [Theory]
    [InlineData("var page = _pool.DevAllocPages(); if (page is null) return 0; var n = page.Length; _pool.PutFullPage(page, allowDirect: false); return n;")]
    [InlineData("var done = 0; while (done < budget) { var page = _pool.DevAllocPages(); if (page == null) break; if (done % 2 == 0) _pool.RecycleDirect(page); else { _pool.ReleasePage(page); page.Put(); } done++; } return done;")]
    [InlineData("var n = 0; for (var i = 0; i < _ring.Length; i++) { var page = _ring[i]; _ring[i] = null; if (page is null) continue; _pool.PutFullPage(page, allowDirect: false); n++; } return n;")]
    [InlineData("var page = _pool.AllocPages(AllocFlags.Atomic); if (page is null) return 0; try { for (var i = 0; i < budget; i++) { if (page.Length > i) return i; } } finally { _pool.PutFullPage(page, allowDirect: false); } return budget;")]
    [InlineData("var page = _pool.DevAllocPages(); if (page is null) return -1; switch (budget) { case 0: _pool.RecycleDirect(page); break; case 1: _stack.Receive(page); break; default: _pool.PutPage(page, -1, allowDirect: false); break; } return budget;")]
    [InlineData("var page = _pool.DevAllocPages(); if (page is null || budget > 3) { _held?.Put(); _held = page; return 0; } _stack.Receive(page); return 1;")]
    [InlineData("Page? page; while ((page = _pool.DevAllocPages()) is not null) { _pool.RecycleDirect(page); } return 0;")]
    [InlineData("var page = _pool.AllocFrag(256, out var offset); if (page is null) return 0; var sum = offset; sum += page.Length; _pool.PutFullPage(page, allowDirect: false); return sum;")]
    [InlineData("foreach (var page in _list) { budget += page.Length; } return budget;")]
    [InlineData("var page = _pool.DevAllocPages(); if (page is null) return 0; lock (_stack) { budget = budget > 0 ? page.Length : 0; } _ring[0] = page; return budget;")]
    public void Accepts_correct_driver_shapes(string body) => Assert.True(Proves(body));

    [Theory]
    [InlineData("var page = _pool.DevAllocPages(); if (budget < 0) return -1; _pool.RecycleDirect(page); return 0;")] // leak on an early return
    [InlineData("var page = _pool.DevAllocPages(); _pool.RecycleDirect(page); _pool.RecycleDirect(page); return 0;")] // double put
    [InlineData("var page = _pool.DevAllocPages(); _pool.RecycleDirect(page); return page.Length;")] // use after put
    [InlineData("var page = _pool.DevAllocPages(); _other.RecycleDirect(page); return 0;")] // wrong pool
    [InlineData("var page = _pool.DevAllocPages(); _pool.ReleasePage(page); _pool.RecycleDirect(page); return 0;")] // put after release
    [InlineData("var page = _pool.DevAllocPages(); page = _pool.DevAllocPages(); _pool.RecycleDirect(page); return 0;")] // overwrite
    [InlineData("while (budget-- > 0) { _pool.DevAllocPages(); } return 0;")] // dropped allocation in a loop
    [InlineData("var page = _ring[0]; _ring[0] = null; return page is null ? 0 : 1;")] // a cleared slot's page is owned
    [InlineData("var page = _pool.DevAllocPages(); if (page is null) return 0; try { _stack.Receive(page); } catch { } return 1;")] // a handler starts from the owned page
    public void Refuses_bodies_the_engine_reports_on(string body) => Assert.False(Proves(body));

    [Theory]
    [InlineData("var page = _pool.DevAllocPages(); var alias = page; _pool.PutFullPage(alias, allowDirect: false); return 0;")] // alias
    [InlineData("var page = _pool.DevAllocPages(); object boxed = page; _pool.PutFullPage(page, allowDirect: false); return boxed.GetHashCode();")] // alias through object
    [InlineData("var page = _pool.DevAllocPages(); System.Action put = () => _pool.PutFullPage(page!, allowDirect: false); put(); return 0;")] // lambda that puts
    [InlineData("var page = _pool.DevAllocPages(); if (page is null) goto done; _pool.RecycleDirect(page); done: return 0;")] // goto
    [InlineData("var page = budget > 0 ? _pool.DevAllocPages() : null; _pool.PutPage(page!, -1, allowDirect: false); return 0;")] // page-valued branch
    public void Leaves_what_it_does_not_model_to_the_engine(string body) => Assert.False(Proves(body));

    [Theory]
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); try { b[0] = 1; return b.AsSpan(0, budget).IndexOf((byte)1); } finally { System.Buffers.ArrayPool<byte>.Shared.Return(b); }")]
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); var n = System.Text.Encoding.UTF8.GetString(b.AsSpan(0, budget)).Length; System.Buffers.ArrayPool<byte>.Shared.Return(b, clearArray: true); return n;")]
    [InlineData("using var owner = System.Buffers.MemoryPool<int>.Shared.Rent(budget); owner.Memory.Span.Fill(1); if (budget > 3) return 3; return owner.Memory.Length;")]
    [InlineData("using (var owner = System.Buffers.MemoryPool<int>.Shared.Rent(budget)) { owner.Memory.Span[0] = budget; } return budget;")]
    public void Accepts_correct_rental_shapes(string body) => Assert.True(Proves(body));

    // Pooled objects, views in variables of their own and a rental kept in a field: the shapes most library methods have.
    [Theory]
    [InlineData("var sb = _builders.Get(); try { sb.Append(budget); return sb.Length; } finally { _builders.Return(sb); }")]
    [InlineData("var sb = _builders.Get(); sb.Append(budget); if (sb.Length > 9) { _builders.Return(sb); return -1; } var n = sb.Length; _builders.Return(sb); return n;")]
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); var s = b.AsSpan(0, budget); s.Fill(1); var t = 0; foreach (var x in s) { t += x; } System.Buffers.ArrayPool<byte>.Shared.Return(b); return t;")]
    [InlineData("for (var i = 0; i < budget; i++) { var b = System.Buffers.ArrayPool<byte>.Shared.Rent(16); var s = b.AsSpan(); s[0] = 1; System.Buffers.ArrayPool<byte>.Shared.Return(b); } return 0;")]
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); var segment = new ArraySegment<byte>(b, 0, budget); var n = segment.Count; System.Buffers.ArrayPool<byte>.Shared.Return(b); return n;")]
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); if (_spare is null) { _spare = b; return 1; } System.Buffers.ArrayPool<byte>.Shared.Return(b); return 0;")]
    [InlineData("using var owner = System.Buffers.MemoryPool<byte>.Shared.Rent(budget); var memory = owner.Memory; if (memory.Length < budget) return 0; memory.Span[0] = 1; return memory.Length;")]
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); var s = b.AsMemory()[1..]; s.Span[0] = 1; System.Buffers.ArrayPool<byte>.Shared.Return(b); return budget;")]
    public void Accepts_pooled_objects_views_in_variables_and_kept_rentals(string body) => Assert.True(Proves(body));

    // The same shapes where the engine reports, or where a variable would change what it stands for on some path only.
    [Theory]
    [InlineData("var sb = _builders.Get(); _builders.Return(sb); return sb.Length;")] // use after return
    [InlineData("var sb = _builders.Get(); if (budget > 0) return 0; _builders.Return(sb); return 1;")] // leak
    [InlineData("var sb = _builders.Get(); object o = sb; _builders.Return(sb); return o.GetHashCode();")] // use after return through another reference
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); var s = b.AsSpan(); System.Buffers.ArrayPool<byte>.Shared.Return(b); foreach (var x in s) { budget += x; } return budget;")] // enumerated after return
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); Memory<byte> m = b; m = new byte[4]; System.Buffers.ArrayPool<byte>.Shared.Return(b); return m.Length;")] // the view variable re-pointed
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); var m = b.AsMemory(); System.Buffers.ArrayPool<byte>.Shared.Return(b); b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); var n = m.Length; System.Buffers.ArrayPool<byte>.Shared.Return(b); return n;")] // the rental variable re-pointed under its view
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); _spare = b; System.Buffers.ArrayPool<byte>.Shared.Return(_spare); return b[0];")] // read back from the field it was kept in
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); var m = b.AsMemory(); Func<int> f = () => m.Length; System.Buffers.ArrayPool<byte>.Shared.Return(b); return f();")] // a lambda over the view
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); var s = b.AsSpan()[1..]; System.Buffers.ArrayPool<byte>.Shared.Return(b); return s[0];")] // use after return through a range of a view
    public void Refuses_pooled_objects_and_views_the_engine_reports_on_or_does_not_model(string body) => Assert.False(Proves(body));

    [Fact]
    public void Reports_the_leaks_of_an_early_return_and_a_break_as_the_engine_does()
    {
        // The leak-heavy benchmark's shape: the head page leaks at `return -1`, the loop's page at the final return.
        var leaks = Leaks("var head = _pool.DevAllocPages(); if (head is null) return 0; if (budget == 0) return -1; var done = 0; while (done < budget) { var page = _pool.DevAllocPages(); if (page is null) break; if (budget > 7) break; _pool.PutFullPage(page, allowDirect: false); done++; } _pool.PutFullPage(head, allowDirect: false); return done;");

        Assert.Equal(["Page 'head' allocated at return -1;", "Page 'page' allocated at return done;"], leaks);
    }

    [Theory]
    [InlineData("var page = _pool.DevAllocPages(); if (page is null) return 0; if (budget > 1) return 1; _pool.RecycleDirect(page); return 2; ")]
    [InlineData("var page = _pool.DevAllocPages(); if (budget > 1) throw new InvalidOperationException(); if (page is not null) _pool.RecycleDirect(page); return 2;")]
    public void Reports_leaks_at_value_returns_and_throws(string body) => Assert.Single(Leaks(body));

    // Where the engine places the exit by its graph, or where the proof's state is wider than the engine's.
    [Theory]
    [InlineData("var page = _pool.DevAllocPages(); if (page is null) return 0; if (budget > 1) { budget++; } else { _pool.RecycleDirect(page); } budget++; return budget;", true)] // control: a value return
    [InlineData("var page = _pool.DevAllocPages(); if (page is null) return 0; budget++; return budget; }  void Fall(int budget) { var page = _pool.DevAllocPages(); if (page is null) return; if (budget > 1) return; _pool.RecycleDirect(page);", false)] // a bare return
    [InlineData("var page = _pool.DevAllocPages(); try { if (budget > 1) return 1; } finally { budget++; } if (page is not null) _pool.RecycleDirect(page); return 0;", false)] // inside a try
    [InlineData("var page = _ring[0]; _ring[0] = null; if (budget > 1) return 1; if (page is not null) _pool.RecycleDirect(page); return 0;", false)] // a drained slot
    [InlineData("var page = _pool.DevAllocPages(); if (page is null) return 0; _pool.RecycleDirect(page); page = _pool.AllocPages(AllocFlags.Atomic); return 1;", false)] // one variable, two allocations
    public void Reports_leaks_only_where_it_names_them_as_the_engine_does(string body, bool reported) =>
        Assert.Equal(reported, Leaks(body, method: body.Contains("Fall(", System.StringComparison.Ordinal) ? "Fall" : "Run") is { Length: > 0 });

    // The .NET pool benchmark's seeded leak and its kin: a rental still held at an early return, named as the engine names it.
    [Theory]
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); b[0] = 1; if (budget > 4096) return -1; System.Buffers.ArrayPool<byte>.Shared.Return(b); return 0;", "Array 'b' rented at return -1;")]
    [InlineData("var sb = _builders.Get(); if (budget > 3) throw new InvalidOperationException(); sb.Append(budget); var n = sb.Length; _builders.Return(sb); return n;", "Object 'sb' taken at throw new InvalidOperationException();")]
    [InlineData("var owner = System.Buffers.MemoryPool<byte>.Shared.Rent(budget); var memory = owner.Memory; if (memory.Length < budget) return 0; owner.Dispose(); return 1;", "Memory 'owner' rented at return 0;")]
    public void Reports_rental_leaks_at_value_returns_and_throws(string body, string leak) => Assert.Equal([leak], Leaks(body));

    [Theory]
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); try { if (budget > 1) return 1; } finally { budget++; } System.Buffers.ArrayPool<byte>.Shared.Return(b); return 0;")] // inside a try
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); System.Buffers.ArrayPool<byte>.Shared.Return(b); b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); return 1;")] // one variable, two rentals
    public void Leaves_rental_leaks_it_cannot_name_as_the_engine_does_to_the_engine(string body) => Assert.Empty(Leaks(body));

    [Fact]
    public void Accepts_a_rental_written_by_an_awaited_call_inside_try_finally() => Assert.True(Proves(
        "var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); try { await System.IO.Stream.Null.WriteAsync(b.AsMemory(0, budget)).ConfigureAwait(false); await System.IO.Stream.Null.WriteAsync(b, 0, budget); } finally { System.Buffers.ArrayPool<byte>.Shared.Return(b); } return budget;",
        async: true));

    [Theory]
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); if (budget > 3) return 0; System.Buffers.ArrayPool<byte>.Shared.Return(b); return 1;")] // leak
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); System.Buffers.ArrayPool<byte>.Shared.Return(b); return b[0];")] // use after return
    [InlineData("var b = System.Buffers.ArrayPool<byte>.Shared.Rent(budget); System.Span<byte> s = b; System.Buffers.ArrayPool<byte>.Shared.Return(b); return s[0];")] // a view in a variable
    [InlineData("using var owner = System.Buffers.MemoryPool<int>.Shared.Rent(budget); owner.Dispose(); return 0;")] // disposed twice
    public void Refuses_rental_bodies_the_engine_reports_on_or_does_not_model(string body) => Assert.False(Proves(body));

    /// <summary>The proof's leaks, "page how at exit…", each checked against the engine's; empty when it leaves the body to the engine.</summary>
    private static string[] Leaks(string body, string method = "Run")
    {
        var (known, operation, symbol) = Body(body, async: false, method);
        if (CleanBodyProof.Judge(known, operation, symbol, PageFlowCache.MayInvolveRentals(operation.Syntax, known), reportLeaks: true, out var leaks) != CleanBodyProof.Verdict.Leaks)
        {
            return [];
        }

        var engine = new PageFlowResult();
        PageFlowRun.AnalyzeGraph(known, Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowGraph.Create(operation), symbol.Parameters, engine);
        static string[] Describe(PageFlowResult result) =>
            [.. result.Leaks.Select(l => $"{l.Kind} {l.Page} {l.How} at {string.Join(", ", l.Exits.Select(e => e.Location.SourceTree!.GetText().ToString(e.Location.SourceSpan)))}")];
        Assert.Equal(Describe(engine), Describe(leaks!));
        Assert.Equal(engine.Leaks.Select(l => l.Allocation), leaks!.Leaks.Select(l => l.Allocation));
        Assert.Empty(engine.DoublePuts);
        Assert.Empty(engine.UsesAfterPut);
        Assert.Empty(engine.WrongPools);
        return Describe(leaks);
    }

    private static bool Proves(string body, bool async = false)
    {
        var (known, operation, symbol) = Body(body, async, "Run");
        if (!CleanBodyProof.Holds(known, operation, symbol))
        {
            return false;
        }

        // What the analyzer tests' cross-check does on every input: an accepted body is one the engine finds nothing in.
        var result = new PageFlowResult();
        PageFlowRun.AnalyzeGraph(known, Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowGraph.Create(operation), symbol.Parameters, result);
        Assert.Empty(result.Leaks);
        Assert.Empty(result.DoublePuts);
        Assert.Empty(result.UsesAfterPut);
        Assert.Empty(result.WrongPools);
        return true;
    }

    private static (KnownSymbols Known, IMethodBodyOperation Body, IMethodSymbol Method) Body(string body, bool async, string method)
    {
        var source = $$"""
            using System;
            using System.Collections.Generic;
            using PoolRules.Runtime;

            public sealed class Stack
            {
                public void Receive([TakesPageOwnership] Page page) { }
            }

            public sealed class Queue
            {
                private readonly PagePool _pool = null!;
                private readonly PagePool _other = null!;
                private readonly Page?[] _ring = new Page?[8];
                private readonly List<Page> _list = new();
                private readonly Stack _stack = new();
                private Page? _held;
                private readonly Microsoft.Extensions.ObjectPool.ObjectPool<System.Text.StringBuilder> _builders = null!;
                private byte[]? _spare;

                public {{(async ? "async System.Threading.Tasks.Task<int>" : "int")}} Run(int budget)
                {
                    {{body}}
                }
            }
            """;
        var compilation = AllAnalyzers.Compile("Proof", TestReferences.All, ("Queue.cs", source));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var tree = compilation.SyntaxTrees.Single();
        var declaration = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.ValueText == method);
        var model = compilation.GetSemanticModel(tree);
        return (KnownSymbols.For(compilation)!, (IMethodBodyOperation)model.GetOperation(declaration)!, (IMethodSymbol)model.GetDeclaredSymbol(declaration)!);
    }
}
