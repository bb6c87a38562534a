using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace PoolRules.Analyzers.Flow;

/// <summary>What a method does with a page passed to one of its parameters, on every path.</summary>
internal enum ParameterSummary
{
    /// <summary>Leaves the page to the caller (the default for any call we cannot see into).</summary>
    Borrows,

    /// <summary>Puts, releases or hands the page on, so the caller no longer owes anything.</summary>
    Consumes,

    /// <summary>Puts the page back to its pool on every path: the caller must not use or put it again.</summary>
    Puts,

    /// <summary>
    /// Drops the caller's reference with <c>Page.Put()</c> on every path (the stack's end of a released page): after
    /// the caller's ReleasePage that is the correct last step, not a second put; the caller must not use it again.
    /// </summary>
    Drops,

    /// <summary>
    /// Consumes the page on the paths that return true and leaves it to the caller on those that return false
    /// (<c>bool TryXmit(Page page)</c>): a caller that branches on the result owns the page only on the false branch.
    /// </summary>
    ConsumesWhenTrue,

    /// <summary>Consumes the page on the paths that return false and leaves it to the caller on those that return true.</summary>
    ConsumesWhenFalse,
}

/// <summary>What a method hands back to its caller through an <c>out</c> parameter of type Page.</summary>
internal enum OutSummary
{
    /// <summary>Nothing the caller owns (null, a borrowed page, or a parameter we cannot see into).</summary>
    None,

    /// <summary>An owned page (or null) on some path: the caller owns what it gets.</summary>
    Owned,

    /// <summary>An owned page on the paths that return true, null on those that return false (<c>bool TryTake(out Page? page)</c>).</summary>
    OwnedWhenTrue,

    /// <summary>An owned page on the paths that return false, null on those that return true.</summary>
    OwnedWhenFalse,
}

/// <summary>What a source method hands its caller: an owned page through its return value (or a tuple element), and through each out parameter.</summary>
internal sealed class HandsBack
{
    public static readonly HandsBack Nothing = new(false, ImmutableArray<OutSummary>.Empty);

    public HandsBack(bool returnsOwned, ImmutableArray<OutSummary> outs)
    {
        ReturnsOwned = returnsOwned;
        Outs = outs;
    }

    public bool ReturnsOwned { get; }

    /// <summary>Per parameter ordinal; empty when no out parameter hands anything back.</summary>
    public ImmutableArray<OutSummary> Outs { get; }

    public OutSummary Out(int ordinal) => ordinal < Outs.Length ? Outs[ordinal] : OutSummary.None;
}

/// <summary>
/// Per-compilation memo of dataflow results (one run per operation block, shared by every rule) and of
/// source-method parameter summaries.
/// </summary>
internal sealed class PageFlowCache
{
    private const int MaxSummaryDepth = 4;

    [ThreadStatic]
    private static HashSet<IMethodSymbol>? s_inProgress;

    private readonly KnownSymbols _known;

    /// <summary>Sees every exception the engine swallows; tests use it to prove the engine did not give up.</summary>
    internal static Action<Exception>? EngineFault { get; set; }

    /// <summary>
    /// Tests set this: every body <see cref="CleanBodyProof"/> accepts is run through the engine as well, and a finding
    /// there throws (an AD0001 the test sees) instead of being skipped.
    /// </summary>
    internal static bool CrossCheck { get; set; }

    /// <summary>How many accepted bodies the cross-check confirmed, so a test can tell that it ran at all.</summary>
    internal static int CrossChecked => s_crossChecked;

    private static int s_crossChecked;

    /// <summary>
    /// Benchmarks set this: the time spent deciding (pre-filter and proof), building graphs and running the engine is
    /// summed into <see cref="Split"/>, so the cost of each part is measured in the run that is timed as a whole.
    /// </summary>
    internal static bool MeasureSplit { get; set; }

    /// <summary>Stopwatch ticks per part while <see cref="MeasureSplit"/> is on: 0 decide, 1 graph, 2 engine, 3 the rules' reporting.</summary>
    internal static readonly long[] Split = new long[4];

    internal static void AddSplit(int part, long since) =>
        System.Threading.Interlocked.Add(ref Split[part], System.Diagnostics.Stopwatch.GetTimestamp() - since);
    // Keyed by where the body is rather than by its node: hashing a node the first time is dear, a tree only once.
    private readonly ConcurrentDictionary<(SyntaxTree Tree, TextSpan Span, int Kind), PageFlowResult> _results = new();
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<ParameterSummary>> _summaries = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, HandsBack> _handsBack = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, string> _displays = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IPropertySymbol, IFieldSymbol?> _backingFields = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<(IMethodSymbol Function, ISymbol Captured), ParameterSummary> _captured = new(CapturedComparer.Instance);
    private readonly ConcurrentDictionary<SyntaxTree, CallNames> _callNames = new();
    private readonly ConcurrentDictionary<(SyntaxTree Tree, TextSpan Span, int Kind), bool> _callsSourcePageMethod = new();

    // The words the call index searches each tree's text for.
    private readonly string[] _words;

    public PageFlowCache(KnownSymbols known)
    {
        _known = known;
        _words = CallNames.Words(known);
    }

    /// <summary>
    /// The field a source property's getter returns and does nothing else with (<c>PagePool Pool => _pool;</c>,
    /// <c>get { return _pool; }</c>), read from this object; null for anything else.
    /// </summary>
    public IFieldSymbol? BackingField(IPropertySymbol property) => _backingFields.GetOrAdd(property, FindBackingField);

    private IFieldSymbol? FindBackingField(IPropertySymbol property)
    {
        if (property.IsStatic != false || property.DeclaringSyntaxReferences.Length != 1
            || property.DeclaringSyntaxReferences[0].GetSyntax() is not PropertyDeclarationSyntax declaration)
        {
            return null;
        }

        var getter = declaration.AccessorList?.Accessors.FirstOrDefault(a => a.IsKind(SyntaxKind.GetAccessorDeclaration));
        var returned = declaration.ExpressionBody?.Expression
            ?? getter?.ExpressionBody?.Expression
            ?? (getter?.Body?.Statements is { Count: 1 } statements && statements[0] is ReturnStatementSyntax { Expression: { } value } ? value : null);
        if (returned is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } member)
        {
            returned = member.Name;
        }

        if (returned is not IdentifierNameSyntax || !_known.Compilation.ContainsSyntaxTree(returned.SyntaxTree))
        {
            return null;
        }

#pragma warning disable RS1030 // One getter's expression, bound once per property for the compilation.
        var model = _known.Compilation.GetSemanticModel(returned.SyntaxTree);
#pragma warning restore RS1030
        return model.GetSymbolInfo(returned).Symbol is IFieldSymbol { IsStatic: false } field
            && SymbolEqualityComparer.Default.Equals(field.ContainingType, property.ContainingType)
            && (_known.IsPagePool(field.Type) || (_known.NetPools is not null && SymbolEqualityComparer.Default.Equals(field.Type, property.Type)))
            ? field
            : null;
    }

    /// <summary>A field's or property's display string, which PP0008 keys pools by; formatting it is dear, so once per symbol.</summary>
    public string DisplayOf(ISymbol symbol) => _displays.GetOrAdd(symbol, static s => s.ToDisplayString());

    /// <summary>
    /// The pre-filter alone, answered from the tree's <see cref="CallNames"/> without the results cache: false for a body
    /// that cannot break a pool rule, which is nearly every body of a compilation that sees ArrayPool and rents little.
    /// </summary>
    public bool MayBeInvolved(IOperation block, IMethodSymbol? owner)
    {
        var started = MeasureSplit ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        try
        {
            return PreFilter(block.Syntax, _known, out _) != Involvement.None || InvolvedOtherwise(block, owner);
        }
#pragma warning disable CA1031 // As in Compute: an unexpected shape means no diagnostic.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            EngineFault?.Invoke(exception);
            return false;
        }
        finally
        {
            if (MeasureSplit)
            {
                AddSplit(0, started);
            }
        }
    }

    /// <summary>The dataflow result for one operation block; the first rule to ask pays for it.</summary>
    public PageFlowResult Get(IOperation block, IMethodSymbol? owner, in OperationBlockAnalysisContext context)
    {
        var key = Key(block);
        if (_results.TryGetValue(key, out var cached))
        {
            return cached;
        }

        // Two rules asking at once may both compute it (the results are equal); the first one stored is the one kept.
        // The context is a struct: its GetControlFlowGraph becomes a delegate (a box) only here.
        return _results.GetOrAdd(key, Compute(block, owner, context.GetControlFlowGraph));
    }

    private PageFlowResult Compute(IOperation block, IMethodSymbol? owner, Func<IOperation, ControlFlowGraph> getGraph)
    {
        // The leaks the proof found, when it found the body's only findings (then no graph is built).
        PageFlowResult? proven;
        try
        {
            var started = MeasureSplit ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            var involvement = PreFilter(block.Syntax, _known, out var rentals);
            if (involvement == Involvement.None && !InvolvedOtherwise(block, owner))
            {
                if (MeasureSplit)
                {
                    AddSplit(0, started);
                }

                return PageFlowResult.Empty;
            }

            // The proof first: on a correct body it costs less than asking whether a Return or Get binds to a pool,
            // which then only decides, for a body the proof leaves, whether the graph is needed at all.
            var verdict = CleanBodyProof.Judge(_known, block, owner, rentals, reportLeaks: true, out var leaks);
            var noPool = verdict == CleanBodyProof.Verdict.Unknown && involvement == Involvement.Names && !CallsPoolMember(block) && !InvolvedOtherwise(block, owner);
            if (MeasureSplit)
            {
                AddSplit(0, started);
            }

            if (noPool)
            {
                return PageFlowResult.Empty;
            }

            if (verdict == CleanBodyProof.Verdict.Unknown)
            {
                return RunEngine(block, owner, getGraph);
            }

            proven = leaks;
        }
#pragma warning disable CA1031 // The engine must never surface an exception as AD0001: an unexpected shape means no diagnostic.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            EngineFault?.Invoke(exception);
            return PageFlowResult.Empty;
        }

        if (proven is not null)
        {
            if (CrossCheck)
            {
                CheckLeaks(block, owner, getGraph, proven);
            }

            return proven;
        }

        if (CrossCheck)
        {
            var full = RunEngine(block, owner, getGraph);
            if (full.Leaks.Count + full.DoublePuts.Count + full.UsesAfterPut.Count + full.WrongPools.Count > 0)
            {
                // Tests only: the proof accepted a body the engine reports on, which must surface as a failure.
                throw new InvalidOperationException($"CleanBodyProof accepted a body the engine reports on: {block.Syntax.GetLocation().GetLineSpan()}");
            }

            System.Threading.Interlocked.Increment(ref s_crossChecked);
        }

        return PageFlowResult.Empty;
    }

    /// <summary>
    /// Tests only: the leaks the proof reported must be exactly the engine's, and the engine must find nothing else (the
    /// maybe-null puts, which only the code fixes read, and from the engine itself, aside).
    /// </summary>
    private void CheckLeaks(IOperation block, IMethodSymbol? owner, Func<IOperation, ControlFlowGraph> getGraph, PageFlowResult proof)
    {
        var full = RunEngine(block, owner, getGraph);
        static string Describe(PageFlowResult result) => string.Join("; ", result.Leaks.Select(l =>
            $"{l.Allocation.SourceSpan} {l.Page} {l.How} {l.Kind} [{string.Join(", ", l.Exits.Select(e => $"{e.Location.SourceSpan} {e.Kind} {e.TopLevel}"))}]"))
            + $" | {result.DoublePuts.Count} {result.UsesAfterPut.Count} {result.WrongPools.Count}";
        var expected = Describe(full);
        var actual = Describe(proof);
        if (expected != actual)
        {
            throw new InvalidOperationException($"CleanBodyProof reported leaks other than the engine's at {block.Syntax.GetLocation().GetLineSpan()}: engine {expected}; proof {actual}");
        }

        System.Threading.Interlocked.Increment(ref s_crossChecked);
    }

    /// <summary>A body may break a page rule without naming a take or give-back: it owns a parameter, or a source method hands it a page.</summary>
    private bool InvolvedOtherwise(IOperation block, IMethodSymbol? owner)
    {
        if (owner is not null && owner.Parameters.Any(_known.TakesOwnership))
        {
            return true;
        }

        if (!_known.HasPages)
        {
            return false;
        }

        // The answer walks the body's operations for a source method that hands a page back, and every rule (and the
        // result it computes) asks it of every body: the first answer is kept.
        var key = Key(block);
        if (!_callsSourcePageMethod.TryGetValue(key, out var calls))
        {
            calls = _callsSourcePageMethod.GetOrAdd(key, CallsSourcePageMethod(block));
        }

        return calls;
    }

    // The key of a body in the caches above (see _results).
    private static (SyntaxTree Tree, TextSpan Span, int Kind) Key(IOperation block) =>
        (block.Syntax.SyntaxTree, block.Syntax.Span, block.Syntax.RawKind);

    private PageFlowResult RunEngine(IOperation block, IMethodSymbol? owner, Func<IOperation, ControlFlowGraph> getGraph)
    {
        var result = new PageFlowResult();
        var started = MeasureSplit ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        var graph = getGraph(block);
        if (MeasureSplit)
        {
            AddSplit(1, started);
            started = System.Diagnostics.Stopwatch.GetTimestamp();
        }

        PageFlowRun.AnalyzeGraph(_known, graph, owner?.Parameters ?? ImmutableArray<IParameterSymbol>.Empty, result);
        if (MeasureSplit)
        {
            AddSplit(2, started);
        }

        return result;
    }

    /// <summary>
    /// The cheap pre-filter: a body that neither takes from a pool, gives back, drains a page slot nor takes ownership
    /// of a parameter cannot break a pool rule, so no control flow graph is built for it. Which names count comes from
    /// the pool contracts this compilation can see (none of the page names where it does not reference the runtime).
    /// </summary>
    public static bool MayInvolvePages(SyntaxNode node, KnownSymbols known) => PreFilter(node, known, out _) != Involvement.None;

    /// <summary>What the syntactic pre-filter found: nothing, only calls named like a take or give-back, or a shape that needs no call (a slot cleared, an ownership attribute).</summary>
    private enum Involvement
    {
        None,
        Names,
        Other,
    }

    /// <param name="rentals">Whether the body names a .NET pool's take or give-back (<see cref="MayInvolveRentals"/>).</param>
    private static Involvement PreFilter(SyntaxNode node, KnownSymbols known, out bool rentals)
    {
        var marks = known.Flow.Marks(node);
        rentals = (marks & CallMark.RentalName) != 0;
        return (marks & CallMark.Other) != 0 ? Involvement.Other : (marks & CallMark.PoolName) != 0 ? Involvement.Names : Involvement.None;
    }

    /// <summary>What the pre-filter finds inside <paramref name="node"/>, from its tree's <see cref="CallNames"/> (kept for the compilation).</summary>
    internal CallMark Marks(SyntaxNode node) => Names(node.SyntaxTree).In(node, _words, _known);

    /// <summary>
    /// Whether the text inside <paramref name="span"/> spells a .NET pool's take (Rent, or Get where ObjectPool exists):
    /// a gate that reads only the text, for a check made before anything is bound.
    /// </summary>
    internal bool MayNameTake(SyntaxTree tree, TextSpan span)
    {
        var names = Names(tree);
        for (var word = 0; word < _words.Length; word++)
        {
            // Words holds Get only where ObjectPool exists.
            if (_words[word] is "Rent" or "Get" && names.MayName(span, word))
            {
                return true;
            }
        }

        return false;
    }

    private CallNames Names(SyntaxTree tree)
    {
        if (!_callNames.TryGetValue(tree, out var names))
        {
            names = _callNames.GetOrAdd(tree, CallNames.For(tree, _words, _known, default));
        }

        return names;
    }

    /// <summary>
    /// The semantic half of the pre-filter: a name like <c>Return</c> or <c>Get</c> is common, and only a call that binds
    /// to a pool's own member (what <see cref="PoolContracts"/> calls a take, give-back, release, drop, share or slot
    /// exchange) starts or ends a lifetime, or a source method of that name, whose summary may. The operations are already
    /// bound; the graph is what costs.
    /// </summary>
    private bool CallsPoolMember(IOperation block)
    {
        foreach (var operation in block.Descendants())
        {
            if (operation is IInvocationOperation invocation && CallNames.InvokedName(invocation.Syntax is InvocationExpressionSyntax call ? call.Expression : null) is { } name
                && PoolContracts.MayTakeOrGiveBack(name, _known)
                && (invocation.TargetMethod.DeclaringSyntaxReferences.Length > 0
                    || PoolContracts.Of(invocation, _known).Effect is PoolEffect.Take or PoolEffect.GiveBack or PoolEffect.Release or PoolEffect.Drop or PoolEffect.Share or PoolEffect.SlotExchange))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a body may take from or give back to one of .NET's pools (a call named Rent, Get or Return).</summary>
    public static bool MayInvolveRentals(SyntaxNode node, KnownSymbols known) =>
        known.NetPools is not null && (known.Flow.Marks(node) & CallMark.RentalName) != 0;

    /// <summary>The operation pre-filter: a call to a source method that returns a page may hand over an owned one.</summary>
    private bool CallsSourcePageMethod(IOperation block)
    {
        foreach (var operation in block.Descendants())
        {
            if (operation is IInvocationOperation { TargetMethod: { DeclaringSyntaxReferences.Length: > 0 } method } && MayHandBackPage(method))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// What <paramref name="method"/> does with a page passed as parameter <paramref name="ordinal"/>. Source methods are
    /// analysed once (local functions through the graph that declares them); recursion and depth limits borrow.
    /// </summary>
    public ParameterSummary Summary(IMethodSymbol method, int ordinal, ControlFlowGraph? enclosingGraph)
    {
        method = method.OriginalDefinition;
        if (method.IsAbstract && method.DeclaringSyntaxReferences.Length > 0 && ordinal < method.Parameters.Length
            && !_known.IsPage(method.Parameters[ordinal].Type) && MayHoldRental(method.Parameters[ordinal]))
        {
            // An interface or abstract member of this compilation: which implementation runs is not known here, and one
            // may keep the rental (dotnet/extensions' IHttpRequestReader stores the headers buffer in the record it fills).
            return ParameterSummary.Consumes;
        }

        if (method.DeclaringSyntaxReferences.Length == 0 || method.IsAbstract || method.IsExtern)
        {
            return ParameterSummary.Borrows;
        }

        if (!_summaries.TryGetValue(method, out var summaries))
        {
            var inProgress = s_inProgress ??= new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
            if (inProgress.Contains(method))
            {
                // Recursion: assume the cycle hands the page on, as the non-recursive paths decide the summary.
                return ParameterSummary.Consumes;
            }

            if (inProgress.Count >= MaxSummaryDepth)
            {
                return ParameterSummary.Borrows;
            }

            inProgress.Add(method);

            try
            {
                summaries = ComputeSummaries(method, enclosingGraph);
            }
#pragma warning disable CA1031 // A method we cannot analyse borrows, as an unknown call does.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                EngineFault?.Invoke(exception);
                summaries = ImmutableArray<ParameterSummary>.Empty;
            }
            finally
            {
                inProgress.Remove(method);
            }

            summaries = _summaries.GetOrAdd(method, summaries);
        }

        return ordinal < summaries.Length ? summaries[ordinal] : ParameterSummary.Borrows;
    }

    /// <summary>
    /// Whether a source method returns a page it owns on some path (an allocation helper, also as the page element of
    /// a returned tuple): its caller then owns the result as if it had allocated it.
    /// </summary>
    public bool ReturnsOwnedPage(IMethodSymbol method, ControlFlowGraph? enclosingGraph) => HandsBackOf(method, enclosingGraph).ReturnsOwned;

    /// <summary>What a source method hands back through its out parameter <paramref name="ordinal"/>.</summary>
    public OutSummary OutOf(IMethodSymbol method, int ordinal, ControlFlowGraph? enclosingGraph) => HandsBackOf(method, enclosingGraph).Out(ordinal);

    private HandsBack HandsBackOf(IMethodSymbol method, ControlFlowGraph? enclosingGraph)
    {
        method = method.OriginalDefinition;
        if (method.DeclaringSyntaxReferences.Length == 0 || method.IsAbstract || method.IsExtern || !MayHandBackPage(method))
        {
            return HandsBack.Nothing;
        }

        if (_handsBack.TryGetValue(method, out var handsBack))
        {
            return handsBack;
        }

        var inProgress = s_inProgress ??= new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        if (inProgress.Count >= MaxSummaryDepth || !inProgress.Add(method))
        {
            return HandsBack.Nothing;
        }

        try
        {
            handsBack = GraphOf(method, enclosingGraph) is { } graph ? PageFlowRun.HandsBack(_known, graph, method.Parameters) : HandsBack.Nothing;
        }
#pragma warning disable CA1031 // A method we cannot analyse hands back nothing owned, as an unknown call does.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            EngineFault?.Invoke(exception);
            handsBack = HandsBack.Nothing;
        }
        finally
        {
            inProgress.Remove(method);
        }

        return _handsBack.GetOrAdd(method, handsBack);
    }

    /// <summary>A method whose signature can hand a page back: it returns one (or a tuple with one) or has an out page parameter.</summary>
    internal bool MayHandBackPage(IMethodSymbol method)
    {
        if (_known.IsPage(method.ReturnType) || _known.PageElement(method.ReturnType) >= 0)
        {
            return true;
        }

        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind == RefKind.Out && _known.IsPage(parameter.Type))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// What a local function or lambda does, when it runs, to the page in <paramref name="captured"/>, a variable of the
    /// method that declares it. <paramref name="lambdaGraph"/> makes a lambda's graph; a local function's comes from
    /// <paramref name="enclosingGraph"/>.
    /// </summary>
    public ParameterSummary CapturedSummary(IMethodSymbol function, ISymbol captured, Func<ControlFlowGraph>? lambdaGraph, ControlFlowGraph? enclosingGraph)
    {
        var key = (function, captured);
        if (_captured.TryGetValue(key, out var summary))
        {
            return summary;
        }

        var inProgress = s_inProgress ??= new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        if (inProgress.Contains(function))
        {
            // Recursion, as for parameters: the non-recursive paths decide.
            return ParameterSummary.Consumes;
        }

        if (inProgress.Count >= MaxSummaryDepth)
        {
            return ParameterSummary.Consumes;
        }

        inProgress.Add(function);
        try
        {
            var graph = lambdaGraph is not null ? lambdaGraph() : GraphOf(function, enclosingGraph);
            // A function we cannot see into takes the page over, as before summaries of captured pages existed.
            summary = graph is null ? ParameterSummary.Consumes : Deferred(function, PageFlowRun.SummarizeParameter(_known, graph, function.Parameters, captured));
        }
#pragma warning disable CA1031 // A function we cannot analyse takes the page over (no diagnostic either way).
        catch (Exception exception)
#pragma warning restore CA1031
        {
            EngineFault?.Invoke(exception);
            summary = ParameterSummary.Consumes;
        }
        finally
        {
            inProgress.Remove(function);
        }

        return _captured.GetOrAdd(key, summary);
    }

    private ImmutableArray<ParameterSummary> ComputeSummaries(IMethodSymbol method, ControlFlowGraph? enclosingGraph)
    {
        var builder = ImmutableArray.CreateBuilder<ParameterSummary>(method.Parameters.Length);
        if (method.MethodKind == MethodKind.Constructor && method.DeclaringSyntaxReferences[0].GetSyntax() is TypeDeclarationSyntax)
        {
            // A primary constructor (or a record's positional one) keeps its parameters in the object.
            foreach (var parameter in method.Parameters)
            {
                builder.Add(_known.IsPage(parameter.Type) || MayHoldRental(parameter) ? ParameterSummary.Consumes : ParameterSummary.Borrows);
            }

            return builder.MoveToImmutable();
        }

        var graph = GraphOf(method, enclosingGraph);
        foreach (var parameter in method.Parameters)
        {
            builder.Add(graph is not null && (_known.IsPage(parameter.Type) || MayHoldRental(parameter))
                ? ViewOnly(parameter, Deferred(method, PageFlowRun.SummarizeParameter(_known, graph, method.Parameters, parameter)))
                : ParameterSummary.Borrows);
        }

        return builder.MoveToImmutable();
    }

    /// <summary>
    /// An async method's give-back may run after an await, when the call has long returned (a finally after
    /// <c>await read</c>): at the call the value is handed to the method, not yet given back.
    /// </summary>
    private static ParameterSummary Deferred(IMethodSymbol method, ParameterSummary summary) =>
        method.IsAsync && summary is ParameterSummary.Puts or ParameterSummary.Drops ? ParameterSummary.Consumes : summary;

    /// <summary>
    /// A span, memory or segment parameter cannot give the rental behind it back (<c>MakePick(array.AsSpan());
    /// pool.Return(array);</c>): whatever its body seems to give back, the caller's rental is only read.
    /// </summary>
    private ParameterSummary ViewOnly(IParameterSymbol parameter, ParameterSummary summary) =>
        summary is ParameterSummary.Puts or ParameterSummary.Drops && _known.NetPools is { } pools && pools.IsView(parameter.Type) && !pools.MayHoldRental(parameter.Type)
            ? ParameterSummary.Borrows
            : summary;

    /// <summary>
    /// A parameter that can hold a rental or a view of one (a helper that returns its argument to the pool, or keeps
    /// it: <c>Lease(ArrayPool&lt;byte&gt; pool, Memory&lt;byte&gt; memory)</c>); asked only when a caller passes one.
    /// </summary>
    private bool MayHoldRental(IParameterSymbol parameter) =>
        _known.NetPools is { } pools && (pools.MayHoldRental(parameter.Type) || pools.IsView(parameter.Type));

    private ControlFlowGraph? GraphOf(IMethodSymbol method, ControlFlowGraph? enclosingGraph)
    {
        if (method.MethodKind == MethodKind.LocalFunction)
        {
            // Only a local function declared in this graph or an enclosing one has a graph here (in broken code a call
            // can bind to one declared elsewhere, where GetLocalFunctionControlFlowGraphInScope throws).
            for (var graph = enclosingGraph; graph is not null; graph = graph.Parent)
            {
                foreach (var declared in graph.LocalFunctions)
                {
                    if (SymbolEqualityComparer.Default.Equals(declared, method))
                    {
                        return graph.GetLocalFunctionControlFlowGraph(declared);
                    }
                }
            }

            return null;
        }

        var syntax = method.DeclaringSyntaxReferences[0].GetSyntax();
        if (!_known.Compilation.ContainsSyntaxTree(syntax.SyntaxTree))
        {
            return null;
        }

        // Summaries need the bodies of other methods; the semantic model is only asked for one declaration and the
        // result is cached for the whole compilation.
#pragma warning disable RS1030
        var model = _known.Compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
        return model.GetOperation(syntax) switch
        {
            IMethodBodyOperation body => ControlFlowGraph.Create(body),
            IConstructorBodyOperation body => ControlFlowGraph.Create(body),
            _ => null,
        };
    }
}

/// <summary>Compares (function, captured variable) keys by symbol.</summary>
internal sealed class CapturedComparer : IEqualityComparer<(IMethodSymbol Function, ISymbol Captured)>
{
    public static readonly CapturedComparer Instance = new();

    public bool Equals((IMethodSymbol Function, ISymbol Captured) x, (IMethodSymbol Function, ISymbol Captured) y) =>
        SymbolEqualityComparer.Default.Equals(x.Function, y.Function) && SymbolEqualityComparer.Default.Equals(x.Captured, y.Captured);

    public int GetHashCode((IMethodSymbol Function, ISymbol Captured) key) =>
        (SymbolEqualityComparer.Default.GetHashCode(key.Function) * 397) ^ SymbolEqualityComparer.Default.GetHashCode(key.Captured);
}
