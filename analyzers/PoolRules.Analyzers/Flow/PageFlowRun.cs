using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using static PoolRules.Analyzers.Flow.NullTests;
using static PoolRules.Analyzers.Conversions;

namespace PoolRules.Analyzers.Flow;

/// <summary>
/// One forward dataflow over one control flow graph. Blocks are solved to a fixpoint with a worklist; finally regions
/// are run inline for every branch that leaves through them (so a put in <c>finally</c> covers each exit with that
/// exit's own state); catch handlers start from the state their try began with and from explicit throws inside it. A final pass over the
/// converged states records the findings, so nothing is reported from an intermediate state.
/// </summary>
internal sealed class PageFlowRun
{
    // A method whose analysis needs more block visits than this is skipped rather than slowing the build.
    private const int MaxBlockVisits = 20000;

    private static readonly SmallSet<int> NoRefs = FlowState.NoRefs;

    private readonly KnownSymbols _known;
    private readonly ControlFlowGraph _graph;
    private readonly ImmutableArray<IParameterSymbol> _parameters;
    private readonly ISymbol? _summarized;
    private readonly PageFlowResult? _result;
    private readonly List<PageOrigin> _origins = new();
    private readonly Dictionary<IOperation, int> _originByOperation = new(PositionKeys.Instance);
    private readonly Dictionary<ISymbol, int> _originByParameter = new(SymbolEqualityComparer.Default);

    /// <summary>Delegate locals initialised from a lambda and only ever invoked in place: each call acts as the lambda's body.</summary>
    private readonly Dictionary<ISymbol, IFlowAnonymousFunctionOperation> _inPlaceLambdas = new(SymbolEqualityComparer.Default);

    /// <summary>Ref locals of type Page bound to one array slot or field (<c>ref Page? slot = ref ring[i];</c>).</summary>
    private readonly Dictionary<ISymbol, IOperation> _refSlots = new(SymbolEqualityComparer.Default);

    /// <summary>Ref locals bound to two different slots in this body: neither binding is followed.</summary>
    private readonly HashSet<ISymbol> _unboundRefs = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IOperation, SmallSet<int>> _testedRefs = new(PositionKeys.Instance);

    /// <summary>The variable a flow capture copied (<c>first ??= node</c> tests a capture of <c>first</c>).</summary>
    private readonly Dictionary<CaptureId, ISymbol> _captureSources = new();
    private readonly HashSet<IFlowAnonymousFunctionOperation> _lambdas = new(PositionKeys.Instance);
    private readonly ControlFlowRegion?[] _finallyOf;
    private readonly bool _hasFinally;

    /// <summary>No branch goes back to an earlier block (no loop, no backward goto): the worklist then visits blocks in order, once each.</summary>
    private readonly bool _forwardOnly = true;
    private readonly Dictionary<SyntaxNode, HashSet<string>> _capturedNames = new(PositionKeys.Instance);
    private readonly Dictionary<ControlFlowBranch, ImmutableArray<ControlFlowRegion>> _finallyRegions = new();

    private readonly Dictionary<int, List<LeakExit>> _leaks = new();
    private readonly Dictionary<IOperation, DoublePutFinding> _doublePuts = new(PositionKeys.Instance);
    private readonly Dictionary<SyntaxNode, UseAfterPutFinding> _uses = new(PositionKeys.Instance);
    private readonly Dictionary<IOperation, WrongPoolFinding> _wrongPools = new(PositionKeys.Instance);

    /// <summary>Hand-ons by which a value outlives the method: returned, stored in a field, or added to a collection kept in one.</summary>
    private readonly HashSet<IOperation> _escapes = new(PositionKeys.Instance);

    /// <summary>Per try region with a catch, the variables a give-back in it gives back (see GivenBackInTry).</summary>
    private readonly Dictionary<ControlFlowRegion, List<ISymbol>> _givenBackIn = new();

    /// <summary>Rentals given back while a field of this object held them: reported at an exit where the field still does.</summary>
    private readonly List<(IFieldSymbol Field, int Origin, IOperation GiveBack, IOperation Store)> _givenBackWhileStored = new();

    /// <summary>Per take of a .NET pool, the origin that stands for the rental it made on an earlier run (see KeepPrevious).</summary>
    private readonly Dictionary<int, int> _previousOf = new();
    private readonly List<(FlowState State, bool? Returns)> _summaryExits = new();
    private readonly List<(int Ordinal, bool Owned, bool? Returns)> _outExits = new();
    private bool _returnsOwned;

    /// <summary>The constant bool the block being left returns (<c>return true;</c>), for conditional summaries.</summary>
    private bool? _exitReturns;

    /// <summary>The value the block being left returns, whatever it is.</summary>
    private IOperation? _exitValue;

    /// <summary>The value of the return being evaluated, so a tuple literal there can tell that it hands its pages back.</summary>
    private IOperation? _returnValue;

    /// <summary>The call the block being left branches on directly (<c>if (TryXmit(page))</c>), whose conditional effects wait for the branch.</summary>
    private IOperation? _branchCall;

    /// <summary>Effects of <see cref="_branchCall"/> that depend on what it returned: each applies on one outcome only.</summary>
    private readonly List<ConditionalEffect> _conditionalEffects = new();

    /// <summary>Some slot was read: only then can a clear or an index write change a page's state.</summary>
    private bool _slotReads;

    /// <summary>Numbers the variables of this run for every state's arrays.</summary>
    private readonly VarTable _varTable = new();

    private FlowState _state;

    /// <summary>The block whose operations are being evaluated.</summary>
    private BasicBlock? _block;

    /// <summary>A finally block is being run for an exception a take may throw: only double give-backs are recorded there.</summary>
    private bool _exceptional;
    private bool _reporting;
    private int _visits;

    private PageFlowRun(KnownSymbols known, ControlFlowGraph graph, ImmutableArray<IParameterSymbol> parameters, ISymbol? summarized, PageFlowResult? result)
    {
        _known = known;
        _graph = graph;
        _parameters = parameters;
        _summarized = summarized;
        _result = result;
        _state = new FlowState(_varTable);
        _finallyOf = new ControlFlowRegion?[graph.Blocks.Length];
        foreach (var block in graph.Blocks)
        {
            if (block.ConditionalSuccessor?.Destination?.Ordinal <= block.Ordinal || block.FallThroughSuccessor?.Destination?.Ordinal <= block.Ordinal)
            {
                _forwardOnly = false;
            }

            for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
            {
                if (region.Kind == ControlFlowRegionKind.Finally)
                {
                    _finallyOf[block.Ordinal] = region;
                    _hasFinally = true;
                    break;
                }
            }
        }
    }

    private bool Reporting => _reporting && _result is not null;

    /// <summary>Analyses a graph and, recursively, the local functions and lambdas declared in it.</summary>
    public static void AnalyzeGraph(KnownSymbols known, ControlFlowGraph graph, ImmutableArray<IParameterSymbol> parameters, PageFlowResult result)
    {
        var run = new PageFlowRun(known, graph, parameters, null, result);
        run.Run();
        run.Publish(result);

        foreach (var localFunction in graph.LocalFunctions)
        {
            var syntax = localFunction.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax();
            if (syntax is not null && AnalysesFunction(known, syntax, localFunction))
            {
                AnalyzeGraph(known, graph.GetLocalFunctionControlFlowGraph(localFunction), localFunction.Parameters, result);
            }
        }

        foreach (var lambda in run._lambdas)
        {
            if (AnalysesFunction(known, lambda.Syntax, lambda.Symbol))
            {
                AnalyzeGraph(known, graph.GetAnonymousFunctionControlFlowGraph(lambda), lambda.Symbol.Parameters, result);
            }
        }
    }

    /// <summary>Which lambdas and local functions <see cref="AnalyzeGraph"/> analyses on their own graph: those that may touch pages.</summary>
    internal static bool AnalysesFunction(KnownSymbols known, SyntaxNode syntax, IMethodSymbol function) =>
        PageFlowCache.MayInvolvePages(syntax, known) || function.Parameters.Any(known.TakesOwnership);

    /// <summary>
    /// Runs the graph with <paramref name="parameter"/> owned on entry and reports what every normal exit leaves of it.
    /// The symbol is a parameter of the graph, or a variable of an enclosing method that a local function or lambda
    /// captures (what the function does to the captured page happens where it is invoked).
    /// </summary>
    public static ParameterSummary SummarizeParameter(KnownSymbols known, ControlFlowGraph graph, ImmutableArray<IParameterSymbol> parameters, ISymbol parameter)
    {
        var run = new PageFlowRun(known, graph, parameters, parameter, null);
        run.Run();
        if (run._summaryExits.Count == 0 || !run._originByParameter.TryGetValue(parameter, out var origin))
        {
            return ParameterSummary.Borrows;
        }

        if (parameter is not IParameterSymbol own || !parameters.Contains(own, SymbolEqualityComparer.Default))
        {
            foreach (var (exit, _) in run._summaryExits)
            {
                if (!exit.TryGetVar(parameter, out var held) || held.Count != 1 || held[0] != origin)
                {
                    // The function assigns the captured variable: what the caller's variable then holds is beyond a summary.
                    return ParameterSummary.Consumes;
                }
            }
        }

        var putsOnEveryPath = true;
        var dropsOnEveryPath = true;
        bool? consumedWhen = null, leftWhen = null;
        bool anyConsumed = false, anyLeft = false, conditional = true;
        foreach (var (exit, returns) in run._summaryExits)
        {
            var left = false;
            var consumed = false;
            foreach (var fact in exit.Facts(origin))
            {
                switch (fact.State)
                {
                    case PageState.Owned or PageState.Borrowed:
                        left = true;
                        break;
                    case PageState.HandedOn or PageState.Released:
                        putsOnEveryPath = false;
                        consumed = true;
                        break;
                    case PageState.Dropped:
                        consumed = true;
                        break;
                    case PageState.Put or PageState.Shared:
                        dropsOnEveryPath = false;
                        consumed = true;
                        break;
                }
            }

            if (left && consumed)
            {
                return ParameterSummary.Borrows;
            }

            // A conditional summary needs every exit that consumes to return one constant and every exit that leaves
            // the page to return the other.
            if (left || consumed)
            {
                ref var when = ref left ? ref leftWhen : ref consumedWhen;
                conditional &= returns is not null && (when is null || when == returns);
                when = returns;
                anyLeft |= left;
                anyConsumed |= consumed;
            }
        }

        if (!anyLeft)
        {
            return !putsOnEveryPath ? ParameterSummary.Consumes : dropsOnEveryPath ? ParameterSummary.Drops : ParameterSummary.Puts;
        }

        if (!anyConsumed || !conditional || consumedWhen == leftWhen)
        {
            return ParameterSummary.Borrows;
        }

        return consumedWhen == true ? ParameterSummary.ConsumesWhenTrue : ParameterSummary.ConsumesWhenFalse;
    }

    /// <summary>Runs the graph and tells whether some return, or some out parameter, hands an owned page to the caller.</summary>
    public static HandsBack HandsBack(KnownSymbols known, ControlFlowGraph graph, ImmutableArray<IParameterSymbol> parameters)
    {
        var run = new PageFlowRun(known, graph, parameters, null, null);
        run.Run();
        if (run._outExits.Count == 0)
        {
            return run._returnsOwned ? new HandsBack(true, ImmutableArray<OutSummary>.Empty) : Flow.HandsBack.Nothing;
        }

        var outs = new OutSummary[parameters.Length];
        foreach (var parameter in parameters)
        {
            bool? ownedWhen = null, emptyWhen = null;
            bool anyOwned = false, conditional = true;
            foreach (var (ordinal, owned, returns) in run._outExits)
            {
                if (ordinal != parameter.Ordinal)
                {
                    continue;
                }

                ref var when = ref owned ? ref ownedWhen : ref emptyWhen;
                conditional &= returns is not null && (when is null || when == returns);
                when = returns;
                anyOwned |= owned;
            }

            outs[parameter.Ordinal] = !anyOwned ? OutSummary.None
                : conditional && emptyWhen is not null && ownedWhen != emptyWhen ? (ownedWhen == true ? OutSummary.OwnedWhenTrue : OutSummary.OwnedWhenFalse)
                : NotNullWhen(parameter) is { } promised ? (promised ? OutSummary.OwnedWhenTrue : OutSummary.OwnedWhenFalse)
                : OutSummary.Owned;
        }

        return new HandsBack(run._returnsOwned, ImmutableArray.Create(outs));
    }

    private void Run()
    {
        var entry = new FlowState(_varTable);
        foreach (var parameter in _parameters)
        {
            if (parameter.RefKind == RefKind.Out || !_known.IsPage(parameter.Type))
            {
                continue;
            }

            var owned = SymbolEqualityComparer.Default.Equals(parameter, _summarized) || _known.TakesOwnership(parameter);
            var id = ParameterOrigin(parameter);
            entry.SetPage(id, SmallSet.Create(new PageFact(owned ? PageState.Owned : PageState.Borrowed, null), new PageFact(PageState.Null, null)));
            entry.SetVar(parameter, SmallSet.Ref(id));
        }

        if (_summarized is not null && !_originByParameter.ContainsKey(_summarized))
        {
            // A captured variable of the enclosing method, owned as the summarised parameter is.
            var id = ParameterOrigin(_summarized);
            entry.SetPage(id, SmallSet.Create(new PageFact(PageState.Owned, null), new PageFact(PageState.Null, null)));
            entry.SetVar(_summarized, SmallSet.Ref(id));
        }

        var ins = new FlowState?[_graph.Blocks.Length];
        if (_forwardOnly)
        {
            // Without a back edge every block is solved once, from its final state: that one pass can record the findings.
            _reporting = true;
            Solve(null, 0, entry, ins, null);
            return;
        }

        Solve(null, 0, entry, ins, null);

        _reporting = true;
        for (var ordinal = 0; ordinal < ins.Length; ordinal++)
        {
            if (ins[ordinal] is { } state && InScope(ordinal, null))
            {
                // The last pass: nothing merges any more, so each block may consume its entry state.
                ProcessBlock(_graph.Blocks[ordinal], state, null, ins, null, null);
            }
        }
    }

    private void Publish(PageFlowResult result)
    {
        // Sorted without LINQ: most bodies publish nothing but their leaks, and this runs once per body.
        if (_leaks.Count > 0)
        {
            var leaks = new List<LeakFinding>(_leaks.Count);
            foreach (var pair in _leaks)
            {
                var origin = _origins[pair.Key];
                var exits = new List<LeakExit>(pair.Value.Count);
                AddSorted(exits, pair.Value, e => e.Location.SourceSpan.Start);
                var how = origin.Parameter is not null ? "received" : LeakFinding.Taken(origin.Kind, origin.Operation);
                leaks.Add(new LeakFinding(origin.Location, origin.DisplayName, how, ImmutableArray.CreateRange(exits), origin.Kind));
            }

            AddSorted(result.Leaks, leaks, f => f.Allocation.SourceSpan.Start);
        }

        AddSorted(result.DoublePuts, _doublePuts.Values, f => f.Call.SourceSpan.Start);
        AddSorted(result.UsesAfterPut, _uses.Values, f => f.Use.SourceSpan.Start);
        AddSorted(result.WrongPools, _wrongPools.Values, f => f.Call.SourceSpan.Start);
    }

    /// <summary>Appends <paramref name="found"/> in source order (stable: findings at one position keep their order).</summary>
    private static void AddSorted<T>(List<T> into, ICollection<T> found, Func<T, int> position)
    {
        if (found.Count == 0)
        {
            return;
        }

        var start = into.Count;
        into.AddRange(found);
        if (found.Count > 1)
        {
            var keyed = new (int Position, int Index, T Item)[found.Count];
            for (var i = 0; i < keyed.Length; i++)
            {
                keyed[i] = (position(into[start + i]), i, into[start + i]);
            }

            Array.Sort(keyed, (x, y) => x.Position != y.Position ? x.Position.CompareTo(y.Position) : x.Index.CompareTo(y.Index));
            for (var i = 0; i < keyed.Length; i++)
            {
                into[start + i] = keyed[i].Item;
            }
        }
    }

    // ---- solving -------------------------------------------------------------------------------------------------

    private bool InScope(int ordinal, ControlFlowRegion? scope) =>
        ordinal >= 0 && ordinal < _finallyOf.Length && _finallyOf[ordinal] == scope;

    private void Solve(ControlFlowRegion? scope, int start, FlowState startState, FlowState?[] ins, List<FlowState>? finallyExits)
    {
        var worklist = new Worklist(ins.Length);
        Merge(ins, start, startState, worklist, owned: false);
        while (worklist.TryTakeFirst(out var ordinal))
        {
            if (++_visits > MaxBlockVisits)
            {
                throw new BudgetExceededException();
            }

            // In a graph without back edges nothing merges into a block once it ran, so its state need not be kept.
            var state = _forwardOnly ? ins[ordinal]! : ins[ordinal]!.Clone();
            ProcessBlock(_graph.Blocks[ordinal], state, scope, ins, worklist, finallyExits);
        }
    }

    /// <summary>
    /// Joins <paramref name="state"/> into a block's entry state. An <paramref name="owned"/> state is one its caller
    /// has no further use for: the first one to reach a block becomes its entry state instead of a copy of it.
    /// </summary>
    private static void Merge(FlowState?[] ins, int ordinal, FlowState state, Worklist? worklist, bool owned)
    {
        if (worklist is null)
        {
            return;
        }

        if (ins[ordinal] is not { } existing)
        {
            ins[ordinal] = owned ? state : state.Clone();
            worklist.Add(ordinal);
        }
        else if (FlowState.JoinInto(existing, state))
        {
            worklist.Add(ordinal);
        }
    }

    private void ProcessBlock(BasicBlock block, FlowState state, ControlFlowRegion? scope, FlowState?[] ins, Worklist? worklist, List<FlowState>? finallyExits)
    {
        if (block.Kind == BasicBlockKind.Exit)
        {
            return;
        }

        // Implicit exceptions are not modelled as exits, so a catch handler starts from the state its try began with
        // (what an exception at the very start would leave) joined with the states of explicit throws inside the try.
        MergeIntoEnclosingHandlers(block, state, scope, ins, worklist);

        _state = state;
        _block = block;
        _testedRefs.Clear();
        _conditionalEffects.Clear();
        _branchCall = null;
        foreach (var operation in block.Operations)
        {
            Eval(operation);
        }

        var fallThrough = block.FallThroughSuccessor;
        if (block.ConditionKind == ControlFlowConditionKind.None)
        {
            if (block.BranchValue is { } value)
            {
                _returnValue = value;
                var refs = Eval(value);
                _returnValue = null;
                if (fallThrough?.Semantics is not (ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow) && HasPages(refs))
                {
                    // The returned page goes to the caller.
                    Use(refs, value);
                    _returnsOwned |= _reporting && refs.Any(r => r >= 0 && Owns(r));
                    HandOn(refs, value);
                    _escapes.Add(value);
                }

                _exitReturns = value.ConstantValue is { HasValue: true, Value: bool returned } ? returned : null;
                _exitValue = value;
            }

            if (fallThrough is not null)
            {
                Follow(block, fallThrough, _state, owned: true, scope, ins, worklist, finallyExits);
            }

            _exitReturns = null;
            _exitValue = null;
            return;
        }

        var condition = block.BranchValue!;
        _branchCall = BranchCall(condition, out _);
        Eval(condition);
        var (whenTrue, whenFalse) = Refine(condition, _state);
        var jumpsWhenTrue = block.ConditionKind == ControlFlowConditionKind.WhenTrue;

        // A constant condition has one outcome: the graph keeps a branch out of `while (true)` that no run takes.
        var constant = condition.ConstantValue is { HasValue: true, Value: bool known } ? known : (bool?)null;
        var jumps = constant is null || constant == jumpsWhenTrue;
        var falls = constant is null || constant != jumpsWhenTrue;
        if (block.ConditionalSuccessor is { } conditional && jumps)
        {
            // Both outcomes may share one state (nothing refined): the first successor then gets a copy.
            Follow(block, conditional, jumpsWhenTrue ? whenTrue : whenFalse, owned: !ReferenceEquals(whenTrue, whenFalse) || fallThrough is null || !falls, scope, ins, worklist, finallyExits);
        }

        if (fallThrough is not null && falls)
        {
            Follow(block, fallThrough, jumpsWhenTrue ? whenFalse : whenTrue, owned: true, scope, ins, worklist, finallyExits);
        }
    }

    private void Follow(BasicBlock source, ControlFlowBranch branch, FlowState state, bool owned, ControlFlowRegion? scope, FlowState?[] ins, Worklist? worklist, List<FlowState>? finallyExits)
    {
        foreach (var region in FinallyRegions(branch))
        {
            var after = RunFinally(region, state);
            if (after is null)
            {
                return;
            }

            state = after;
        }

        switch (branch.Semantics)
        {
            case ControlFlowBranchSemantics.Regular or ControlFlowBranchSemantics.Return:
                if (branch.Destination is not { } destination)
                {
                    return;
                }

                if (destination.Kind == BasicBlockKind.Exit)
                {
                    AtExit(state, source, branch, LeakExitKind.Return);
                }
                else if (InScope(destination.Ordinal, scope))
                {
                    Merge(ins, destination.Ordinal, _known.NetPools is null ? state : OutOfScope(source, destination, state), worklist, owned);
                }

                return;
            case ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow:
                Thrown(source, state, scope, ins, worklist);
                return;
            case ControlFlowBranchSemantics.StructuredExceptionHandling:
                finallyExits?.Add(owned ? state : state.Clone());
                return;
        }
    }

    /// <summary>
    /// The state a branch carries into its destination without the locals of the regions it leaves, and without the
    /// values only they held that owe nothing: a loop body's <c>var old = buffer;</c> does not reach the next iteration,
    /// where it would join the old rental's given-back state with the new one's.
    /// </summary>
    private FlowState OutOfScope(BasicBlock source, BasicBlock destination, FlowState state)
    {
        FlowState? trimmed = null;
        for (var region = source.EnclosingRegion; region is not null && !(region.FirstBlockOrdinal <= destination.Ordinal && destination.Ordinal <= region.LastBlockOrdinal); region = region.EnclosingRegion)
        {
            foreach (var local in region.Locals)
            {
                if (state.TryGetVar(local, out _))
                {
                    trimmed ??= state.Clone();
                    trimmed.SetVar(local, FlowState.NoRefs);
                }
            }
        }

        if (trimmed is null)
        {
            return state;
        }

        var saved = _state;
        _state = trimmed;
        for (var id = 0; id < trimmed.PageSlots; id++)
        {
            if (trimmed.TryGetPage(id, out _) && _origins[id].Kind != PoolKind.Page)
            {
                Forget(id);
            }
        }

        _state = saved;
        return trimmed;
    }

    /// <summary>
    /// A take inside a try whose finally gives back: if the take throws (Rent of a size that overflows, an allocation
    /// that fails), the finally runs from the state before it. PP0102 counts such paths, as the grow-then-retry loops
    /// that return the old array, then rent, show; uses and leaks there are not reported.
    /// </summary>
    private void TakeMayThrow()
    {
        if (!Reporting || _exceptional || _block is null)
        {
            return;
        }

        for (var region = _block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
        {
            if (region.Kind != ControlFlowRegionKind.Try || region.EnclosingRegion is not { } parent)
            {
                continue;
            }

            if (parent.Kind == ControlFlowRegionKind.TryAndCatch)
            {
                return;
            }

            if (parent.Kind == ControlFlowRegionKind.TryAndFinally)
            {
                var block = _block;
                _exceptional = true;
                try
                {
                    RunFinally(parent.NestedRegions[1], _state.Clone());
                }
                finally
                {
                    _exceptional = false;
                    _block = block;
                }

                return;
            }
        }
    }

    /// <summary>Roslyn computes a branch's finally regions on every call; a graph without finally has none to compute.</summary>
    private ImmutableArray<ControlFlowRegion> FinallyRegions(ControlFlowBranch branch)
    {
        if (!_hasFinally)
        {
            return ImmutableArray<ControlFlowRegion>.Empty;
        }

        if (!_finallyRegions.TryGetValue(branch, out var regions))
        {
            _finallyRegions[branch] = regions = branch.FinallyRegions;
        }

        return regions;
    }

    /// <summary>An explicit throw: caught by an enclosing try/catch, or an exit after the enclosing finally blocks ran.</summary>
    private void Thrown(BasicBlock source, FlowState state, ControlFlowRegion? scope, FlowState?[] ins, Worklist? worklist)
    {
        if (source.BranchValue is { } thrown && thrown.Syntax.FirstAncestorOrSelf<SyntaxNode>(n => n is ThrowStatementSyntax or ThrowExpressionSyntax) is null)
        {
            // Compiler-made throws (a switch expression with no matching arm) are not the author's exits.
            return;
        }

        for (var region = source.EnclosingRegion; region is not null && region != scope; region = region.EnclosingRegion)
        {
            if (region.Kind != ControlFlowRegionKind.Try || region.EnclosingRegion is not { } parent)
            {
                continue;
            }

            if (parent.Kind == ControlFlowRegionKind.TryAndCatch)
            {
                MergeIntoHandlers(parent, state, scope, ins, worklist);
                return;
            }

            if (parent.Kind == ControlFlowRegionKind.TryAndFinally)
            {
                var after = RunFinally(parent.NestedRegions[1], state);
                if (after is null)
                {
                    return;
                }

                state = after;
            }
        }

        AtExit(state, source, null, LeakExitKind.Throw);
    }

    private void MergeIntoEnclosingHandlers(BasicBlock block, FlowState state, ControlFlowRegion? scope, FlowState?[] ins, Worklist? worklist)
    {
        for (var region = block.EnclosingRegion; region is not null && region != scope; region = region.EnclosingRegion)
        {
            if (region.Kind == ControlFlowRegionKind.Try && region.EnclosingRegion is { Kind: ControlFlowRegionKind.TryAndCatch } parent)
            {
                if (block.Ordinal == region.FirstBlockOrdinal)
                {
                    MergeIntoHandlers(parent, _known.NetPools is null ? state : GivenBackInTry(region, state), scope, ins, worklist);
                }

                return;
            }
        }
    }

    /// <summary>
    /// The state a catch handler starts from, for rentals: one the try gives back (<c>try { pool.Return(a); } catch
    /// (ArgumentException) { }</c>, the pool refusing it) was handed to the pool, whatever threw. An exception before the
    /// give-back is an exception path, where PP0101 reports leaks only when asked to.
    /// </summary>
    private FlowState GivenBackInTry(ControlFlowRegion tryRegion, FlowState state)
    {
        if (!_givenBackIn.TryGetValue(tryRegion, out var symbols))
        {
            symbols = new List<ISymbol>();
            for (var ordinal = tryRegion.FirstBlockOrdinal; ordinal <= tryRegion.LastBlockOrdinal; ordinal++)
            {
                foreach (var operation in _graph.Blocks[ordinal].Operations)
                {
                    foreach (var call in operation.DescendantsAndSelf().OfType<IInvocationOperation>())
                    {
                        var contract = PoolContracts.Of(call, _known);
                        if (contract is { Effect: PoolEffect.GiveBack, IsNetPool: true }
                            && VarKey(contract.ValueArgument >= 0 ? call.Arguments[contract.ValueArgument].Value : call.Instance ?? call) is ISymbol symbol)
                        {
                            symbols.Add(symbol);
                        }
                    }
                }
            }

            _givenBackIn[tryRegion] = symbols;
        }

        if (symbols.Count == 0)
        {
            return state;
        }

        var handler = state.Clone();
        var saved = _state;
        _state = handler;
        foreach (var symbol in symbols)
        {
            foreach (var id in Var(symbol))
            {
                if (id >= 0 && _origins[id].Kind != PoolKind.Page)
                {
                    Replace(id, PageState.Owned, new PageFact(PageState.HandedOn, null));
                }
            }
        }

        _state = saved;
        return handler;
    }

    private void MergeIntoHandlers(ControlFlowRegion tryAndCatch, FlowState state, ControlFlowRegion? scope, FlowState?[] ins, Worklist? worklist)
    {
        foreach (var handler in tryAndCatch.NestedRegions)
        {
            if (handler.Kind != ControlFlowRegionKind.Try && InScope(handler.FirstBlockOrdinal, scope))
            {
                Merge(ins, handler.FirstBlockOrdinal, state, worklist, owned: false);
            }
        }
    }

    /// <summary>Runs a finally region from one incoming state; null when the finally never completes normally.</summary>
    private FlowState? RunFinally(ControlFlowRegion region, FlowState state)
    {
        var saved = _state;
        var savedReporting = _reporting;
        var savedReturns = _exitReturns;
        var savedValue = _exitValue;
        var savedTested = new Dictionary<IOperation, SmallSet<int>>(_testedRefs, PositionKeys.Instance);
        try
        {
            var ins = new FlowState?[_graph.Blocks.Length];
            var exits = new List<FlowState>();
            _reporting = _forwardOnly && savedReporting;
            Solve(region, region.FirstBlockOrdinal, state, ins, exits);
            if (savedReporting && !_forwardOnly)
            {
                _reporting = true;
                exits.Clear();
                for (var ordinal = region.FirstBlockOrdinal; ordinal <= region.LastBlockOrdinal; ordinal++)
                {
                    if (ins[ordinal] is { } blockState && InScope(ordinal, region))
                    {
                        ProcessBlock(_graph.Blocks[ordinal], blockState, region, ins, null, exits);
                    }
                }
            }

            return FlowState.Join(exits);
        }
        finally
        {
            _state = saved;
            _reporting = savedReporting;
            _exitReturns = savedReturns;
            _exitValue = savedValue;
            _testedRefs.Clear();
            foreach (var pair in savedTested)
            {
                _testedRefs[pair.Key] = pair.Value;
            }
        }
    }

    private void AtExit(FlowState state, BasicBlock source, ControlFlowBranch? branch, LeakExitKind kind)
    {
        if (!_reporting)
        {
            return;
        }

        if (_summarized is not null)
        {
            if (kind == LeakExitKind.Return)
            {
                _summaryExits.Add((state.Clone(), _exitReturns));
            }

            return;
        }

        foreach (var (field, origin, giveBack, store) in _givenBackWhileStored)
        {
            if (kind == LeakExitKind.Return && state.TryGetVar(field, out var held) && held.Contains(origin) && !_uses.ContainsKey(giveBack.Syntax)
                && state.Facts(origin).Any(f => f.IsGone))
            {
                _uses[giveBack.Syntax] = new UseAfterPutFinding(giveBack.Syntax.GetLocation(), _origins[origin].DisplayName, PageState.Put, store.Syntax.GetLocation(), _origins[origin].Kind, RentalEscape.GivenBackWhileStored);
            }
        }

        // A page in an out parameter goes to the caller, as a returned one does.
        var handedOut = NoRefs;
        foreach (var parameter in _parameters)
        {
            if (parameter.RefKind == RefKind.Out && (_known.IsPage(parameter.Type) || _known.NetPools is not null))
            {
                var refs = state.Var(parameter);
                handedOut = handedOut.Union(refs);
                if (kind == LeakExitKind.Return && _known.IsPage(parameter.Type))
                {
                    var owned = refs.Any(r => r >= 0 && state.Facts(r).Any(f => f.State == PageState.Owned));
                    if (owned && _exitReturns is null && _exitValue is { } value && TryNullTest(value, out _, out var operand, out var whenTrue, out _)
                        && VarKey(operand) is IParameterSymbol tested && SymbolEqualityComparer.Default.Equals(tested, parameter))
                    {
                        // `return page is not null;`: true exactly where the page is handed back.
                        _outExits.Add((parameter.Ordinal, true, whenTrue == Nullness.NotNull));
                        _outExits.Add((parameter.Ordinal, false, whenTrue != Nullness.NotNull));
                    }
                    else
                    {
                        _outExits.Add((parameter.Ordinal, owned, _exitReturns));
                    }
                }
            }
        }

        // Where the path leaves is found only for a path that leaks.
        Location? location = null;
        for (var origin = 0; origin < state.PageSlots; origin++)
        {
            if (state.TryGetPage(origin, out var facts) && !handedOut.Contains(origin) && facts.Any(f => f.State == PageState.Owned))
            {
                AddLeak(origin, location ??= branch is null ? ThrowLocation(source) : ExitLocation(source, branch), kind);
            }
        }
    }

    private void AddLeak(int origin, Location location, LeakExitKind kind)
    {
        if (!Reporting)
        {
            return;
        }

        if (!_leaks.TryGetValue(origin, out var exits))
        {
            _leaks[origin] = exits = new List<LeakExit>();
        }

        if (!exits.Any(e => e.Location == location))
        {
            exits.Add(new LeakExit(location, kind, _graph.OriginalOperation.Syntax is CompilationUnitSyntax));
        }
    }

    // ---- transfer functions --------------------------------------------------------------------------------------

    private SmallSet<int> Eval(IOperation? operation)
    {
        switch (operation)
        {
            case null:
                return NoRefs;
            case ILocalReferenceOperation { Local.IsRef: true } refLocal when _refSlots.ContainsKey(refLocal.Local):
                // A read through `ref Page? slot = ref ring[i];` reads the slot it refers to.
                return Read(refLocal);
            case ILocalReferenceOperation local:
                return Var(local.Local);
            case IParameterReferenceOperation parameter:
                return Var(parameter.Parameter);
            case IFlowCaptureReferenceOperation capture:
                return Var(capture.Id);
            case IConversionOperation conversion:
                return Eval(conversion.Operand);
            case ILiteralOperation literal:
                return literal.ConstantValue.HasValue && literal.ConstantValue.Value is null ? FlowState.OnlyNull : NoRefs;
            case IDefaultValueOperation defaultValue:
                return defaultValue.Type is { IsReferenceType: true } ? FlowState.OnlyNull : NoRefs;
            case IFlowCaptureOperation capture:
                _state.SetVar(capture.Id, Eval(capture.Value));
                if (CapturedVariable(capture.Value) is { } captured)
                {
                    _captureSources[capture.Id] = captured;
                }

                return NoRefs;
            case ISimpleAssignmentOperation assignment:
                return Assign(assignment);
            case IInvocationOperation invocation:
                return Invoke(invocation);
            case IObjectCreationOperation creation:
                var creationArgs = EvalArguments(creation.Arguments);
                if (PoolContracts.Of(creation, _known) is { Effect: PoolEffect.View } view && view.ValueArgument >= 0)
                {
                    // new ArraySegment<byte>(rented, 0, n): the view lives as long as the rental does.
                    UseArguments(creation.Arguments, creationArgs);
                    return creationArgs[view.ValueArgument];
                }

                PassArguments(creation.Constructor, creation.Arguments, creationArgs, null, creation);
                Eval(creation.Initializer);
                return NoRefs;
            case IIsNullOperation isNull:
                _testedRefs[isNull] = Eval(isNull.Operand);
                return NoRefs;
            case IBinaryOperation binary when NullComparand(binary) is { } tested:
                _testedRefs[binary] = Eval(tested);
                return NoRefs;
            case IIsPatternOperation pattern:
                var patternRefs = Eval(pattern.Value);
                _testedRefs[pattern] = patternRefs;
                BindPattern(pattern.Pattern, patternRefs);
                return NoRefs;
            case IIncrementOrDecrementOperation or ICompoundAssignmentOperation:
                foreach (var child in operation.ChildOperations)
                {
                    Eval(child);
                }

                if (WrittenSymbol(operation is IIncrementOrDecrementOperation increment ? increment.Target : ((ICompoundAssignmentOperation)operation).Target) is { } written)
                {
                    Detach(written, operation);
                }

                return NoRefs;
            case IFlowAnonymousFunctionOperation lambda:
                // A lambda that captures a page is stored or passed on: whoever runs it later owns the page.
                _lambdas.Add(lambda);
                if (InvokedInPlace(lambda) is { } delegateLocal)
                {
                    // `Func<int> proto = () => page.Span[12]; ... proto()`: each call acts as the body, nothing happens here.
                    _inPlaceLambdas[delegateLocal] = lambda;
                }
                else
                {
                    HandOnCaptured(lambda.Syntax, lambda.Symbol, lambda);
                }

                return NoRefs;
            case IReturnOperation yielded:
                var yieldedRefs = Eval(yielded.ReturnedValue);
                Use(yieldedRefs, yielded.ReturnedValue);
                HandOn(yieldedRefs, yielded);
                return NoRefs;
            case IFieldReferenceOperation field:
                var instanceRefs = Eval(field.Instance);
                Use(instanceRefs, field.Instance);
                if (field.Field.ContainingType.IsTupleType && HasPages(instanceRefs) && _known.IsPage(field.Type))
                {
                    // The page element of a tuple a helper handed back.
                    return instanceRefs;
                }

                if (OwnField(field) is { } own && _state.TryGetVar(own, out var inField))
                {
                    // A field of this object this body stored a rental in holds it until it is written again.
                    return inField;
                }

                return Read(field);
            case IPropertyReferenceOperation property:
                if (PoolContracts.Of(property, _known).Effect == PoolEffect.View)
                {
                    // owner.Memory, memory.Span: the same rental seen through another type.
                    var viewed = Eval(property.Instance);
                    Use(viewed, property.Instance);
                    return viewed;
                }

                UseInstance(property.Instance);
                foreach (var argument in property.Arguments)
                {
                    Eval(argument.Value);
                }

                return Read(property);
            case IImplicitIndexerReferenceOperation range when PoolContracts.Of(range, _known).Effect == PoolEffect.View:
                // memory[..n]: a slice of the same rental.
                var sliced = Eval(range.Instance);
                Use(sliced, range.Instance);
                Eval(range.Argument);
                return sliced;
            case IArrayElementReferenceOperation element:
                UseInstance(element.ArrayReference);
                foreach (var index in element.Indices)
                {
                    Eval(index);
                }

                return Read(element);
            case IArrayCreationOperation or IArrayInitializerOperation or ITupleOperation or IAnonymousObjectCreationOperation:
                // A page put into a new array, tuple or anonymous object travels with it; a returned tuple hands it back.
                var returned = _returnValue is not null && ReferenceEquals(Unwrap(_returnValue), operation);
                foreach (var child in operation.ChildOperations)
                {
                    var childRefs = Eval(child);
                    Use(childRefs, child);
                    _returnsOwned |= returned && _reporting && childRefs.Any(r => r >= 0 && Owns(r));
                    HandOn(childRefs, operation);
                }

                return NoRefs;
            case IDeconstructionAssignmentOperation deconstruction:
                Deconstruct(deconstruction);
                return NoRefs;
            case IInvalidOperation invalid:
                // A call or creation that does not bind (a reference the build lacks): what it does with a page or a
                // rental is unknown, so it takes it, and nothing is reported for what it may have kept.
                foreach (var child in invalid.ChildOperations)
                {
                    var childRefs = Eval(child);
                    Use(childRefs, child);
                    HandOn(childRefs, invalid);
                }

                return NoRefs;
            default:
                foreach (var child in operation.ChildOperations)
                {
                    Eval(child);
                }

                return NoRefs;
        }
    }

    private static ISymbol? WrittenSymbol(IOperation target) => target switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation field => field.Field,
        _ => null,
    };

    /// <summary><c>var (page, length) = Receive();</c>: the page variable gets the page the tuple carries.</summary>
    private void Deconstruct(IDeconstructionAssignmentOperation deconstruction)
    {
        var target = deconstruction.Target is IDeclarationExpressionOperation declaration ? declaration.Expression : deconstruction.Target;
        var value = Unwrap(deconstruction.Value);
        if (target is not ITupleOperation targets)
        {
            Eval(deconstruction.Target);
            Eval(deconstruction.Value);
            return;
        }

        if (value is ITupleOperation values && values.Elements.Length == targets.Elements.Length)
        {
            // (a, b) = (x, y): element by element.
            var refs = values.Elements.Select(Eval).ToArray();
            for (var i = 0; i < refs.Length; i++)
            {
                AssignElement(targets.Elements[i], refs[i], deconstruction);
            }

            return;
        }

        var carried = Eval(deconstruction.Value);
        foreach (var element in targets.Elements)
        {
            AssignElement(element, _known.IsPage(element.Type) ? carried : NoRefs, deconstruction);
        }
    }

    private void AssignElement(IOperation element, SmallSet<int> refs, IOperation at)
    {
        switch (element is IDeclarationExpressionOperation declaration ? declaration.Expression : element)
        {
            case ILocalReferenceOperation local when !local.Local.IsRef:
                AssignVar(local.Local, refs, at);
                break;
            case IDiscardOperation:
                // A discarded page is dropped where it is: an owned one leaks at the exit.
                break;
            default:
                Use(refs, at);
                HandOn(refs, at);
                break;
        }
    }

    private SmallSet<int> Var(object key) => _state.Var(key);

    private static bool HasPages(SmallSet<int> refs) => refs.Count > 1 || (refs.Count == 1 && refs[0] != FlowState.NullRef);

    private void UseInstance(IOperation? instance)
    {
        var refs = Eval(instance);
        Use(refs, instance);
    }

    /// <summary>A page read out of a field, property or array slot: borrowed, unless the method later clears the slot.</summary>
    private SmallSet<int> Read(IOperation slot)
    {
        if (!_known.IsPage(slot.Type))
        {
            return NoRefs;
        }

        var id = OperationOrigin(slot);
        if (_origins[id].SlotKey is null && SlotKeyOf(slot) is { } key)
        {
            _origins[id].SlotKey = key;
            // A ref local keeps referring to the slot it was bound to, whatever its index does; rebinding it detaches.
            _origins[id].SlotSymbols = slot is ILocalReferenceOperation refLocal ? ImmutableArray.Create<ISymbol>(refLocal.Local) : SlotSymbols(slot);
            _slotReads = true;
        }

        NewInstance(id, slot, PageState.Borrowed);
        return SmallSet.Ref(id);
    }

    private SmallSet<int> Produce(IOperation producer, PageState state, IOperation? pool, PoolKind kind = PoolKind.Page)
    {
        var id = OperationOrigin(producer);
        _origins[id].Kind = kind;
        if (pool is not null)
        {
            _origins[id].Pool ??= kind == PoolKind.Page ? PoolKeys.Of(pool, _known) : PoolKeys.OfRentalPool(pool, _known);
        }

        NewInstance(id, producer, state);
        return SmallSet.Ref(id);
    }

    private void NewInstance(int id, IOperation at, PageState state)
    {
        // The same operation runs again (a loop) while its previous page is still owned: that page is lost, unless a
        // variable other than the one this page goes into still holds it (the head buffer of a multi-buffer frame).
        var ranBefore = _state.TryGetPage(id, out var previous);
        if (ranBefore && previous.Any(f => f.State == PageState.Owned) && !HeldBesidesTarget(id, at.Syntax))
        {
            AddLeak(id, at.Syntax.GetLocation(), LeakExitKind.Reallocation);
        }

        if (ranBefore && _origins[id].Kind != PoolKind.Page && HeldBesidesTarget(id, at.Syntax))
        {
            KeepPrevious(id, previous);
        }

        // A page allocation may fail (null); Rent and Get never hand out null.
        _state.SetPage(id, _origins[id].Kind == PoolKind.Page
            ? SmallSet.Create(new PageFact(state, at), new PageFact(PageState.Null, at))
            : SmallSet.Create(new PageFact(state, at)));
    }

    /// <summary>
    /// A take runs again while another variable still holds what it took last time (<c>var old = buffer; buffer =
    /// pool.Rent(n * 2); pool.Return(old);</c> in a loop): the earlier rental moves to a second origin of the same take,
    /// so giving back the old one and then the new one is not one rental given back twice.
    /// </summary>
    private void KeepPrevious(int id, SmallSet<PageFact> facts)
    {
        if (!_previousOf.TryGetValue(id, out var previousId))
        {
            var origin = _origins[id];
            previousId = _origins.Count;
            _origins.Add(new PageOrigin(previousId, origin.Operation, null, origin.Location) { Name = origin.Name, Kind = origin.Kind, Pool = origin.Pool });
            _previousOf[id] = previousId;
        }

        if (_state.TryGetPage(previousId, out var older) && HeldByAnyVar(previousId))
        {
            // Still held as well: the previous origin stands for both.
            foreach (var fact in older)
            {
                facts = facts.Add(fact);
            }
        }

        _state.SetPage(previousId, facts);
        for (var slot = 0; slot < _state.VarSlots; slot++)
        {
            var refs = _state.VarAt(slot);
            if (refs.Contains(id))
            {
                _state.SetVar(_state.KeyAt(slot), refs.Remove(id).Union(SmallSet.Ref(previousId)));
            }
        }
    }

    private SmallSet<int> Assign(ISimpleAssignmentOperation assignment)
    {
        var target = assignment.Target;
        if (assignment.IsRef && target is ILocalReferenceOperation { Local: { IsRef: true } bound } && _known.IsPage(bound.Type))
        {
            // `ref Page? slot = ref ring[i];` binds the local to the slot; nothing is read. A second binding to another
            // slot is beyond this analysis (the local is then left alone).
            EvalTargetParts(assignment.Value);
            Detach(bound, assignment);
            var bindsTo = assignment.Value is IFieldReferenceOperation or IArrayElementReferenceOperation ? assignment.Value : null;
            if (_unboundRefs.Contains(bound))
            {
                return NoRefs;
            }

            if (bindsTo is null || (_refSlots.TryGetValue(bound, out var earlier) && SlotKey(earlier) != SlotKey(bindsTo)))
            {
                _refSlots.Remove(bound);
                _unboundRefs.Add(bound);
                return NoRefs;
            }

            _refSlots[bound] = bindsTo;
            return NoRefs;
        }

        EvalTargetParts(target);
        var value = Eval(assignment.Value);
        if (target is ILocalReferenceOperation { Local.IsRef: true } throughRef && _refSlots.ContainsKey(throughRef.Local))
        {
            // `slot = null;` through the ref local writes the slot it refers to.
            Use(value, assignment.Value);
            HandOn(value, assignment);
            TakeFromSlot(SlotKeyOf(throughRef), value);
            return value;
        }

        switch (target)
        {
            case ILocalReferenceOperation local when !local.Local.IsRef:
                AssignVar(local.Local, value, assignment);
                if (DeclaredOutside(local.Local))
                {
                    // A lambda or local function storing into a variable of the method around it: that variable
                    // outlives this function, so what it now holds is handed on (garnet's grow-in-place callback).
                    Use(value, assignment.Value);
                    HandOn(value, assignment);
                }

                break;
            case IParameterReferenceOperation parameter when parameter.Parameter.RefKind is RefKind.None or RefKind.Out:
                // An out parameter is the caller's variable: what it holds at an exit goes to the caller.
                AssignVar(parameter.Parameter, value, assignment);
                break;
            case IDiscardOperation:
                break;
            case IFlowCaptureReferenceOperation capture when _captureSources.TryGetValue(capture.Id, out var source)
                && source is ILocalSymbol { IsRef: false } or IParameterSymbol { RefKind: RefKind.None }:
                // `first ??= node` writes the variable the graph captured as its target.
                AssignVar(source, value, assignment);
                break;
            case IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation:
                Use(value, assignment.Value);
                HandOn(value, assignment);
                if (OfThisObject(target))
                {
                    _escapes.Add(assignment);
                }

                if (target is IFieldReferenceOperation stored && OwnField(stored) is { } own && (AnyRental(value) || _state.TryGetVar(own, out _)))
                {
                    _state.SetVar(own, value);
                }

                TakeFromSlot(SlotKey(target), value);
                if (target is IFieldReferenceOperation field)
                {
                    Detach(field.Field, assignment);
                }

                break;
            default:
                // out/ref parameters, ref locals, event or dynamic targets: the page outlives this method.
                Use(value, assignment.Value);
                HandOn(value, assignment);
                break;
        }

        return value;
    }

    /// <summary>A local this graph's function captures from the method around it (the graph is a lambda's or a local function's).</summary>
    private bool DeclaredOutside(ILocalSymbol local) =>
        _graph.OriginalOperation is ILocalFunctionOperation or IAnonymousFunctionOperation
        && local.DeclaringSyntaxReferences.Length == 1
        && local.DeclaringSyntaxReferences[0] is { } declared
        && declared.SyntaxTree == _graph.OriginalOperation.Syntax.SyntaxTree
        && !_graph.OriginalOperation.Syntax.Span.Contains(declared.Span);

    /// <summary>A field of this object or a static field, which this body may follow as a variable while it holds a rental; null for any other.</summary>
    private IFieldSymbol? OwnField(IFieldReferenceOperation field) =>
        _known.NetPools is not null && field.Instance is null or IInstanceReferenceOperation && !_known.IsPage(field.Type) ? field.Field : null;

    /// <summary>A field or property of this object or a static one (or a slot of an array kept there): it outlives the method.</summary>
    private static bool OfThisObject(IOperation target) => target switch
    {
        IFieldReferenceOperation field => field.Instance is null or IInstanceReferenceOperation,
        IPropertyReferenceOperation property => property.Instance is null or IInstanceReferenceOperation,
        IArrayElementReferenceOperation element => OfThisObject(element.ArrayReference),
        _ => false,
    };

    private void EvalTargetParts(IOperation target)
    {
        switch (target)
        {
            case IFieldReferenceOperation field:
                UseInstance(field.Instance);
                break;
            case IPropertyReferenceOperation property:
                UseInstance(property.Instance);
                foreach (var argument in property.Arguments)
                {
                    Eval(argument.Value);
                }

                break;
            case IArrayElementReferenceOperation element:
                UseInstance(element.ArrayReference);
                foreach (var index in element.Indices)
                {
                    Eval(index);
                }

                break;
        }
    }

    private void AssignVar(ISymbol symbol, SmallSet<int> value, IOperation at)
    {
        Detach(symbol, at);
        if (_state.TryGetVar(symbol, out var old))
        {
            foreach (var origin in old)
            {
                if (origin >= 0 && !value.Contains(origin) && Owns(origin) && !HeldElsewhere(origin, symbol))
                {
                    AddLeak(origin, at.Syntax.GetLocation(), LeakExitKind.Overwrite);
                    Replace(origin, PageState.Owned, new PageFact(PageState.HandedOn, at));
                }
            }
        }

        _state.SetVar(symbol, value);
        foreach (var origin in value)
        {
            if (origin >= 0)
            {
                _origins[origin].Name ??= symbol.Name;
            }
        }

        if (!old.IsEmpty)
        {
            foreach (var origin in old)
            {
                if (origin >= 0 && !value.Contains(origin))
                {
                    Forget(origin);
                }
            }
        }
    }

    /// <summary>
    /// Drops a page no variable refers to any more and that owes nothing: it can no longer be put or used, and keeping
    /// its state would only blur the join with the paths where the variable holds another page (a loop that
    /// recycles a page and allocates the next one into the same variable).
    /// </summary>
    private void Forget(int origin)
    {
        if (!_state.TryGetPage(origin, out var facts) || facts.Any(f => f.State == PageState.Owned))
        {
            return;
        }

        if (!HeldByAnyVar(origin))
        {
            _state.RemovePage(origin);
        }
    }

    private bool HeldByAnyVar(int origin)
    {
        for (var slot = 0; slot < _state.VarSlots; slot++)
        {
            if (_state.VarAt(slot).Contains(origin))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a variable other than the one <paramref name="producer"/>'s value is assigned to refers to the origin.</summary>
    private bool HeldBesidesTarget(int origin, SyntaxNode producer)
    {
        var target = AssignedName(producer);
        for (var slot = 0; slot < _state.VarSlots; slot++)
        {
            if (_state.VarAt(slot).Contains(origin) && _state.KeyAt(slot) is ISymbol other && other.Name != target)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The variable a value is assigned to, through <c>??</c>, <c>?:</c>, <c>!</c>, casts and parentheses.</summary>
    private static string? AssignedName(SyntaxNode node)
    {
        for (var child = node; child.Parent is { } parent; child = parent)
        {
            switch (parent)
            {
                case ParenthesizedExpressionSyntax or PostfixUnaryExpressionSyntax or CastExpressionSyntax or ConditionalExpressionSyntax or EqualsValueClauseSyntax:
                case BinaryExpressionSyntax when parent.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.CoalesceExpression):
                    continue;
                case VariableDeclaratorSyntax declarator:
                    return declarator.Identifier.ValueText;
                case AssignmentExpressionSyntax assignment when assignment.Right == child:
                    return assignment.Left is IdentifierNameSyntax name ? name.Identifier.ValueText : null;
                default:
                    return null;
            }
        }

        return null;
    }

    private bool Owns(int origin) => _state.Facts(origin).Any(f => f.State == PageState.Owned);

    private bool HeldElsewhere(int origin, ISymbol? symbol)
    {
        for (var slot = 0; slot < _state.VarSlots; slot++)
        {
            if (_state.VarAt(slot).Contains(origin) && _state.KeyAt(slot) is ISymbol other && !SymbolEqualityComparer.Default.Equals(other, symbol))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The drain idiom: a page read from a slot that is then overwritten belongs to this method from the read on. Only
    /// a read still linked to the slot counts (no variable of its address was written since, see <see cref="Detach"/>),
    /// and not the page being written back (<paramref name="stored"/>: <c>ring[i] = page</c> of the page read from it).
    /// Where several reads of the slot are linked and some variable holds one of them, the others (a null test of the
    /// slot before the read) were the same page, and only the held ones are taken.
    /// </summary>
    private void TakeFromSlot(string? key, SmallSet<int> stored)
    {
        if (key is null || !_slotReads)
        {
            return;
        }

        List<int>? taken = null;
        var anyHeld = false;
        foreach (var origin in _origins)
        {
            if (origin.SlotKey == key && !stored.Contains(origin.Id) && _state.TryGetPage(origin.Id, out var facts) && Linked(facts, origin))
            {
                (taken ??= new List<int>()).Add(origin.Id);
                anyHeld |= HeldElsewhere(origin.Id, null);
            }
        }

        if (taken is null)
        {
            return;
        }

        foreach (var id in taken)
        {
            if (!anyHeld || HeldElsewhere(id, null))
            {
                var origin = _origins[id];
                _state.SetPage(id, _state.Facts(id).Where(f => !IsLink(f, origin)).Add(new PageFact(PageState.Owned, origin.Operation)));
            }
        }
    }

    private static bool IsLink(PageFact fact, PageOrigin origin) => fact.State == PageState.Borrowed && ReferenceEquals(fact.At, origin.Operation);

    private static bool Linked(SmallSet<PageFact> facts, PageOrigin origin)
    {
        foreach (var fact in facts)
        {
            if (IsLink(fact, origin))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A variable or field that slot addresses are computed from is written: a page read through one of them before
    /// now came from another slot than the one the same text names after (a new loop's index, <c>i++</c>).
    /// </summary>
    private void Detach(ISymbol written, IOperation at)
    {
        if (!_slotReads)
        {
            return;
        }

        foreach (var origin in _origins)
        {
            if (origin.SlotKey is not null && !origin.SlotSymbols.IsDefaultOrEmpty && origin.SlotSymbols.Contains(written, SymbolEqualityComparer.Default)
                && _state.TryGetPage(origin.Id, out var facts) && Linked(facts, origin))
            {
                _state.SetPage(origin.Id, facts.Where(f => !IsLink(f, origin)).Add(new PageFact(PageState.Borrowed, at)));
            }
        }
    }

    private void Replace(int origin, PageState from, PageFact to)
    {
        var facts = _state.Facts(origin);
        if (!facts.Any(f => f.State == from))
        {
            // The common case (a hand-on of a page that owes nothing) allocates nothing.
            return;
        }

        _state.SetPage(origin, facts.Where(f => f.State != from).Add(to));
    }

    private void HandOn(SmallSet<int> refs, IOperation at)
    {
        foreach (var origin in refs)
        {
            if (origin >= 0)
            {
                Replace(origin, PageState.Owned, new PageFact(PageState.HandedOn, at));
            }
        }
    }

    private void HandOnCaptured(SyntaxNode body, IMethodSymbol? function, IOperation at)
    {
        var names = CapturedNames(body, function);

        // HandOn changes page states only, never the variables being enumerated.
        for (var slot = 0; slot < _state.VarSlots; slot++)
        {
            if (!_state.VarAt(slot).IsEmpty && _state.KeyAt(slot) is ISymbol symbol && names.Contains(symbol.Name))
            {
                HandOn(_state.VarAt(slot), at);
            }
        }
    }

    /// <summary>
    /// A local function or in-place lambda runs here: each page variable it mentions is borrowed, put, or handed on as
    /// the function's summary for that variable says.
    /// </summary>
    private void ApplyCaptured(SyntaxNode body, IMethodSymbol function, IFlowAnonymousFunctionOperation? lambda, IOperation at)
    {
        var names = CapturedNames(body, function);
        List<(ISymbol Symbol, SmallSet<int> Refs)>? captured = null;
        for (var slot = 0; slot < _state.VarSlots; slot++)
        {
            var refs = _state.VarAt(slot);
            if (HasPages(refs) && _state.KeyAt(slot) is ISymbol symbol && names.Contains(symbol.Name))
            {
                (captured ??= new()).Add((symbol, refs));
            }
        }

        if (captured is null)
        {
            return;
        }

        foreach (var (symbol, refs) in captured)
        {
            switch (_known.Flow.CapturedSummary(function, symbol, lambda is null ? null : () => _graph.GetAnonymousFunctionControlFlowGraph(lambda), _graph))
            {
                case ParameterSummary.Puts:
                    Release(refs, at, PageState.Put, null);
                    break;
                case ParameterSummary.Drops:
                    Release(refs, at, PageState.Dropped, null);
                    break;
                case ParameterSummary.Borrows:
                    Use(refs, at);
                    break;
                default:
                    Use(refs, at);
                    HandOn(refs, at);
                    break;
            }
        }
    }

    /// <summary>The delegate local a lambda initialises when every use of that local is a call in the same function; else null.</summary>
    private ISymbol? InvokedInPlace(IFlowAnonymousFunctionOperation lambda)
    {
        SyntaxNode node = lambda.Syntax;
        while (node.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            node = node.Parent;
        }

        if (node.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
            || declarator.FirstAncestorOrSelf<BlockSyntax>() is not { } scope
            || _graph.OriginalOperation.SemanticModel is not { } model)
        {
            return null;
        }

        var name = declarator.Identifier.ValueText;
        var home = EnclosingFunction(declarator);
        foreach (var identifier in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (identifier.Identifier.ValueText != name)
            {
                continue;
            }

            var call = identifier.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Invoke" } member && member.Expression == identifier
                ? member.Parent as InvocationExpressionSyntax
                : identifier.Parent as InvocationExpressionSyntax;
            if (call is null || (call.Expression != identifier && call.Expression != identifier.Parent) || EnclosingFunction(call) != home)
            {
                return null;
            }
        }

        return model.SyntaxTree == declarator.SyntaxTree ? model.GetDeclaredSymbol(declarator) : null;
    }

    private static SyntaxNode? EnclosingFunction(SyntaxNode node) =>
        node.Parent?.FirstAncestorOrSelf<SyntaxNode>(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or AccessorDeclarationSyntax);

    private HashSet<string> CapturedNames(SyntaxNode body, IMethodSymbol? function)
    {
        if (!_capturedNames.TryGetValue(body, out var names))
        {
            names = new HashSet<string>(body.DescendantNodes().OfType<IdentifierNameSyntax>().Select(i => i.Identifier.ValueText));
            if (function is not null)
            {
                foreach (var parameter in function.Parameters)
                {
                    names.Remove(parameter.Name);
                }
            }

            _capturedNames[body] = names;
        }

        return names;
    }

    private SmallSet<int>[] EvalArguments(ImmutableArray<IArgumentOperation> arguments)
    {
        var refs = new SmallSet<int>[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            var argument = arguments[i];
            if (argument.Parameter?.RefKind is RefKind.Out)
            {
                EvalTargetParts(argument.Value);
                refs[i] = NoRefs;
            }
            else if (argument.Parameter?.RefKind is RefKind.Ref && (argument.Value is IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation
                || (argument.Value is ILocalReferenceOperation { Local.IsRef: true } refLocal && _refSlots.ContainsKey(refLocal.Local))))
            {
                // A slot passed by reference is not read here (Interlocked.Exchange(ref ring[i], null)).
                EvalTargetParts(argument.Value);
                refs[i] = NoRefs;
            }
            else
            {
                refs[i] = Eval(argument.Value);
            }
        }

        return refs;
    }

    private SmallSet<int> Invoke(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        var instance = Eval(invocation.Instance);
        var args = EvalArguments(invocation.Arguments);

        var contract = PoolContracts.Of(invocation, _known);
        var value = contract.ValueArgument >= 0 ? args[contract.ValueArgument] : instance;
        switch (contract.Effect)
        {
            case PoolEffect.Take:
                ClearOutArguments(invocation.Arguments);
                if (contract.IsNetPool)
                {
                    TakeMayThrow();
                }

                return Produce(invocation, PageState.Owned, contract.Pool, contract.Kind);
            case PoolEffect.GiveBack or PoolEffect.Release:
                Release(contract.ValueArgument >= 0 || contract.IsNetPool ? value : NoRefs, invocation, contract.Effect == PoolEffect.Release ? PageState.Released : PageState.Put, contract.Pool);
                if (contract.IsNetPool)
                {
                    UseOtherArguments(invocation.Arguments, args, contract.ValueArgument);
                }

                return NoRefs;
            case PoolEffect.Drop:
                Release(instance, invocation, PageState.Dropped, null);
                UseArguments(invocation.Arguments, args);
                return NoRefs;
            case PoolEffect.Share:
                Use(instance, invocation.Instance);
                Share(instance, invocation);
                UseArguments(invocation.Arguments, args);
                return NoRefs;
            case PoolEffect.Use:
                if (contract.Pool is null)
                {
                    Use(instance, invocation.Instance);
                }

                UseArguments(invocation.Arguments, args);
                return NoRefs;
            case PoolEffect.SlotExchange:
                // Interlocked.Exchange(ref slot, x): the old page is now ours, x lives in the slot. The call's result is
                // that page; earlier reads of the slot (a null test first) were the same page and stay borrowed.
                HandOn(args[1], invocation);
                return Produce(invocation, PageState.Owned, null);
            case PoolEffect.ViewOut when contract.ValueArgument >= 0:
                // MemoryMarshal.TryGetArray(memory, out var segment): the segment is the rental behind the memory. On the
                // false outcome the memory has no array behind it, so there is nothing to give back.
                Use(value, invocation.Arguments[contract.ValueArgument].Value);
                if (PoolContracts.ArgumentIndex(invocation.Arguments, 1) is var outIndex and >= 0 && OutTarget(invocation.Arguments[outIndex].Value) is { } segment)
                {
                    AssignVar(segment, value, invocation.Arguments[outIndex]);
                }

                if (ReferenceEquals(invocation, _branchCall))
                {
                    _conditionalEffects.Add(new ConditionalEffect(invocation, value, -1, invocation, false));
                }

                return NoRefs;
            case PoolEffect.View:
                // rented.AsSpan(0, n), span.Slice(1): the view lives as long as the rental does.
                Use(value, contract.ValueArgument >= 0 ? invocation.Arguments[contract.ValueArgument].Value : invocation.Instance);
                UseOtherArguments(invocation.Arguments, args, contract.ValueArgument);
                return value;
        }

        if (HasPages(instance))
        {
            Use(instance, invocation.Instance);
        }

        PassArguments(method, invocation.Arguments, args, invocation.Instance, invocation);
        ReceiveOutPages(method, invocation);
        if (method.MethodKind == MethodKind.LocalFunction && method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is { } localFunction)
        {
            // A local function invoked here does to the pages it captures what its body does to them.
            ApplyCaptured(localFunction, method, null, invocation);
        }
        else if (method.MethodKind == MethodKind.DelegateInvoke && invocation.Instance is ILocalReferenceOperation { Local: var target }
            && _inPlaceLambdas.TryGetValue(target, out var inPlace))
        {
            ApplyCaptured(inPlace.Syntax, inPlace.Symbol, inPlace, invocation);
        }

        if (_known.PageElement(method.ReturnType) >= 0)
        {
            // A tuple whose page element the callee hands back: the caller owns it (deconstructed or read as t.page).
            return _known.Flow.ReturnsOwnedPage(method, _graph) ? Produce(invocation, PageState.Owned, null) : NoRefs;
        }

        if (contract.Effect == PoolEffect.Pending)
        {
            return PendingOn(args);
        }

        if (!_known.IsPage(method.ReturnType))
        {
            return NoRefs;
        }

        return Produce(invocation, _known.Flow.ReturnsOwnedPage(method, _graph) ? PageState.Owned : PageState.Borrowed, null);
    }

    /// <summary>A task a call returns may still use the rentals (or their views) it was given: the task carries them (pages stay out of it).</summary>
    private SmallSet<int> PendingOn(SmallSet<int>[] args)
    {
        var carried = NoRefs;
        foreach (var refs in args)
        {
            foreach (var id in refs)
            {
                if (id >= 0 && _origins[id].Kind != PoolKind.Page)
                {
                    carried = carried.Union(SmallSet.Ref(id));
                }
            }
        }

        return carried;
    }

    private bool AnyRental(SmallSet<int> refs)
    {
        foreach (var id in refs)
        {
            if (id >= 0 && _origins[id].Kind != PoolKind.Page)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A source method that hands an owned page back through an out parameter: the caller's variable owns it from the
    /// call on, or, for <c>bool TryTake(out Page? page)</c> branched on directly, on the outcome that hands it back.
    /// </summary>
    private void ReceiveOutPages(IMethodSymbol method, IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is not { RefKind: RefKind.Out } parameter || !_known.IsPage(parameter.Type) || OutTarget(argument.Value) is not { } target)
            {
                continue;
            }

            var handsBack = _known.Flow.OutOf(method, parameter.Ordinal, _graph);
            if (handsBack == OutSummary.None || (handsBack != OutSummary.Owned && !ReferenceEquals(invocation, _branchCall))
                || (handsBack == OutSummary.Owned && !method.ReturnsVoid))
            {
                // A conditional hand-back not branched on here, or one whose link to the result the summary could not
                // see (a caller that tests the result instead of the page would be told it leaks): left alone.
                continue;
            }

            var id = Produce(argument, PageState.Owned, null);
            AssignVar(target, id, argument);
            if (handsBack != OutSummary.Owned)
            {
                _conditionalEffects.Add(new ConditionalEffect(invocation, NoRefs, id[0], argument, handsBack == OutSummary.OwnedWhenTrue));
            }
        }
    }

    /// <summary>The method's own promise, <c>[NotNullWhen(true)] out Page? page</c>, of the outcome that hands the page back.</summary>
    private static bool? NotNullWhen(IParameterSymbol parameter)
    {
        foreach (var attribute in parameter.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "NotNullWhenAttribute" } && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0].Value is bool when)
            {
                return when;
            }
        }

        return null;
    }

    private static ISymbol? OutTarget(IOperation value) => value switch
    {
        ILocalReferenceOperation local => local.Local,
        IDeclarationExpressionOperation { Expression: ILocalReferenceOperation local } => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        _ => null,
    };

    private static SmallSet<int> PageArgument(ImmutableArray<IArgumentOperation> arguments, SmallSet<int>[] refs) =>
        PageArgumentIndex(arguments) is var index and >= 0 ? refs[index] : NoRefs;

    /// <summary>Which argument binds the first parameter (the page of a put or release), whatever order it was written in.</summary>
    internal static int PageArgumentIndex(ImmutableArray<IArgumentOperation> arguments)
    {
        for (var i = 0; i < arguments.Length; i++)
        {
            if (arguments[i].Parameter?.Ordinal == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private void UseOtherArguments(ImmutableArray<IArgumentOperation> arguments, SmallSet<int>[] refs, int except)
    {
        for (var i = 0; i < arguments.Length; i++)
        {
            if (i != except)
            {
                Use(refs[i], arguments[i].Value);
            }
        }
    }

    private void UseArguments(ImmutableArray<IArgumentOperation> arguments, SmallSet<int>[] refs)
    {
        for (var i = 0; i < arguments.Length; i++)
        {
            Use(refs[i], arguments[i].Value);
        }
    }

    private void ClearOutArguments(ImmutableArray<IArgumentOperation> arguments)
    {
        foreach (var argument in arguments)
        {
            if (argument.Parameter?.RefKind is RefKind.Out or RefKind.Ref && WrittenSymbol(argument.Value) is { } written)
            {
                Detach(written, argument);
            }

            if (argument.Parameter?.RefKind == RefKind.Out)
            {
                if (OutTarget(argument.Value) is { } target)
                {
                    _state.SetVar(target, NoRefs);
                }
            }
        }
    }

    private void PassArguments(IMethodSymbol? method, ImmutableArray<IArgumentOperation> arguments, SmallSet<int>[] refs, IOperation? instance, IOperation at)
    {
        for (var i = 0; i < arguments.Length; i++)
        {
            var argument = arguments[i];
            if (!HasPages(refs[i]) || argument.Parameter is not { } parameter || method is null)
            {
                continue;
            }

            if (parameter.RefKind == RefKind.Ref || _known.TakesOwnership(parameter) || _known.StoresPages(method, instance))
            {
                Use(refs[i], argument.Value);
                HandOn(refs[i], at);
                continue;
            }

            if (AnyRental(refs[i]) && (_known.TakesAnyOwnership(parameter) || _known.StoresRentals(method, instance, argument.Value)
                || _known.KeepsRental(method, parameter, argument.Value)))
            {
                // [TakesOwnership], or a collection of rentals (or views) that keeps what it is given.
                Use(refs[i], argument.Value);
                HandOn(refs[i], at);
                if (instance is not null && OfThisObject(instance) && !_known.TakesAnyOwnership(parameter))
                {
                    _escapes.Add(at);
                }

                continue;
            }

            switch (_known.Flow.Summary(method, parameter.Ordinal, _graph))
            {
                case ParameterSummary.Consumes:
                    Use(refs[i], argument.Value);
                    HandOn(refs[i], at);
                    break;
                case ParameterSummary.Puts:
                    // A put through a helper: a second one is a double put (PP0002), not also a use after put.
                    Release(refs[i], at, PageState.Put, null);
                    break;
                case ParameterSummary.Drops:
                    // The helper is the stack's Page.Put(): after the caller's ReleasePage that is the drop it owes.
                    Release(refs[i], at, PageState.Dropped, null);
                    break;
                case ParameterSummary.ConsumesWhenTrue or ParameterSummary.ConsumesWhenFalse:
                    Use(refs[i], argument.Value);
                    if (ReferenceEquals(at, _branchCall))
                    {
                        _conditionalEffects.Add(new ConditionalEffect(at, refs[i], -1, at, _known.Flow.Summary(method, parameter.Ordinal, _graph) == ParameterSummary.ConsumesWhenTrue));
                    }
                    else
                    {
                        // The result is not branched on here: which outcome happened is beyond this analysis.
                        HandOn(refs[i], at);
                    }

                    break;
                default:
                    Use(refs[i], argument.Value);
                    break;
            }
        }

        ClearOutArguments(arguments);
    }

    private void Share(SmallSet<int> refs, IOperation at)
    {
        foreach (var id in refs)
        {
            if (id >= 0)
            {
                _state.SetPage(id, SmallSet.Create(new PageFact(PageState.Shared, at)));
            }
        }
    }

    private void Release(SmallSet<int> refs, IOperation at, PageState now, IOperation? pool)
    {
        if (Reporting && refs.Any(id => id == FlowState.NullRef || (id >= 0 && _state.Facts(id).Any(f => f.State is PageState.Null or PageState.NotAllocated))))
        {
            _result!.MaybeNullPuts.Add(at.Syntax.GetLocation());
        }

        foreach (var id in refs)
        {
            if (id < 0)
            {
                continue;
            }

            var facts = _state.Facts(id);
            if (facts.Any(f => f.State == PageState.Shared))
            {
                // One of several references goes; which one is the last is beyond this analysis.
                continue;
            }

            if (Reporting)
            {
                var kind = _origins[id].Kind;
                var earlier = Earliest(facts.Where(f => f.IsGone || (f.State == PageState.Released && now != PageState.Dropped)));
                if (earlier is { } fact && !_doublePuts.ContainsKey(at))
                {
                    _doublePuts[at] = new DoublePutFinding(at.Syntax.GetLocation(), _origins[id].DisplayName, now, fact.State, FactLocation(fact, id), kind);
                }

                if (kind != PoolKind.Page && !_exceptional)
                {
                    Escaped(id, facts, at);
                }

                if (pool is not null && now != PageState.Dropped && !_exceptional && facts.Any(f => f.State == PageState.Owned))
                {
                    CheckPool(id, at, pool);
                }
            }

            _state.SetPage(id, SmallSet.Create(new PageFact(now, at)));
        }
    }

    private void CheckPool(int id, IOperation at, IOperation pool)
    {
        var origin = _origins[id];
        var named = origin.Kind == PoolKind.Page ? PoolKeys.Of(pool, _known) : PoolKeys.OfRentalPool(pool, _known);
        if (origin.Pool is not { } from || named is not { } to || from.Key == to.Key || _wrongPools.ContainsKey(at))
        {
            return;
        }

        _wrongPools[at] = new WrongPoolFinding(at.Syntax.GetLocation(), origin.DisplayName, from.Display, to.Display, origin.Location, origin.Kind);
    }

    /// <summary>
    /// A rental given back after it (or a view of it, or a task using one) was returned or stored where it outlives the
    /// method: whoever holds it uses the array after the pool handed it to someone else (PP0103, at the escape).
    /// </summary>
    private void Escaped(int id, SmallSet<PageFact> facts, IOperation giveBack)
    {
        foreach (var fact in facts)
        {
            if (fact.State != PageState.HandedOn || fact.At is not { } escape || !_escapes.Contains(escape))
            {
                continue;
            }

            // A finally or a using's end gives back what escaped from inside it: the escape is the mistake. A plain
            // give-back after a store (`_buffer = rented; Return(rented);`) leaves the field pointing at the rental: there.
            var atEnd = giveBack.Syntax.FirstAncestorOrSelf<SyntaxNode>(n => n is FinallyClauseSyntax or UsingStatementSyntax or LocalDeclarationStatementSyntax { UsingKeyword.RawKind: not 0 }) is not null
                && !(giveBack.Syntax.FirstAncestorOrSelf<UsingStatementSyntax>() is { } usingStatement && usingStatement.Statement.Span.Contains(giveBack.Syntax.Span));
            if (escape is ISimpleAssignmentOperation { Target: IFieldReferenceOperation stored } && OwnField(stored) is { } field)
            {
                if (!atEnd)
                {
                    // `_buffer = rented; Return(rented); _buffer = null;` is fine: only a field still holding it when the method returns is the bug.
                    _givenBackWhileStored.Add((field, id, giveBack, escape));
                    continue;
                }

                // A finally that clears the field before it gives the rental back (`_cache = null; Return(cache);`) undid
                // the store: nothing outlives the method holding it.
                if (_state.TryGetVar(field, out var held) && !held.Contains(id))
                {
                    continue;
                }
            }

            var where = atEnd ? escape : giveBack;
            var earlier = atEnd ? giveBack : escape;
            if (!_uses.ContainsKey(where.Syntax))
            {
                _uses[where.Syntax] = new UseAfterPutFinding(where.Syntax.GetLocation(), _origins[id].DisplayName, PageState.Put, earlier.Syntax.GetLocation(), _origins[id].Kind, atEnd ? RentalEscape.Escapes : RentalEscape.GivenBackWhileStored);
            }
        }
    }

    private void Use(SmallSet<int> refs, IOperation? use)
    {
        if (!Reporting || _exceptional || use is null || !HasPages(refs) || _uses.ContainsKey(use.Syntax))
        {
            return;
        }

        List<(PageFact Fact, int Origin)>? gone = null;
        foreach (var id in refs)
        {
            if (id < 0)
            {
                continue;
            }

            foreach (var fact in _state.Facts(id))
            {
                if (fact.State is PageState.Null or PageState.NotAllocated)
                {
                    continue;
                }

                if (!fact.IsGone)
                {
                    return;
                }

                (gone ??= new()).Add((fact, id));
            }
        }

        if (gone is null)
        {
            return;
        }

        // The earliest put or drop; the first found among equals.
        var first = gone[0];
        foreach (var candidate in gone)
        {
            if ((candidate.Fact.At?.Syntax.SpanStart ?? 0) < (first.Fact.At?.Syntax.SpanStart ?? 0))
            {
                first = candidate;
            }
        }

        _uses[use.Syntax] = new UseAfterPutFinding(use.Syntax.GetLocation(), _origins[first.Origin].DisplayName, first.Fact.State, FactLocation(first.Fact, first.Origin), _origins[first.Origin].Kind);
    }

    private static PageFact? Earliest(SmallSet<PageFact> facts)
    {
        PageFact? best = null;
        foreach (var fact in facts)
        {
            if (best is null || (fact.At?.Syntax.SpanStart ?? 0) < (best.Value.At?.Syntax.SpanStart ?? 0))
            {
                best = fact;
            }
        }

        return best;
    }

    private Location FactLocation(PageFact fact, int origin) => fact.At?.Syntax.GetLocation() ?? _origins[origin].Location;

    // ---- branch refinement ---------------------------------------------------------------------------------------

    /// <summary>Recognises a null test; the operation whose refs were recorded, and what each outcome says about them.</summary>
    private static bool TryNullTest(IOperation condition, out IOperation test, out IOperation operand, out Nullness whenTrue, out Nullness whenFalse)
    {
        test = condition;
        operand = condition;
        whenTrue = whenFalse = Nullness.Unknown;
        switch (condition)
        {
            case IConversionOperation conversion:
                return TryNullTest(conversion.Operand, out test, out operand, out whenTrue, out whenFalse);
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                var found = TryNullTest(not.Operand, out test, out operand, out whenFalse, out whenTrue);
                return found;
            case IIsNullOperation isNull:
                operand = isNull.Operand;
                whenTrue = Nullness.Null;
                whenFalse = Nullness.NotNull;
                return true;
            case IBinaryOperation binary when NullComparand(binary) is { } tested:
                operand = tested;
                var equals = binary.OperatorKind == BinaryOperatorKind.Equals;
                whenTrue = equals ? Nullness.Null : Nullness.NotNull;
                whenFalse = equals ? Nullness.NotNull : Nullness.Null;
                return true;
            case IIsPatternOperation pattern:
                operand = pattern.Value;
                (whenTrue, whenFalse) = PatternNullness(pattern.Pattern);
                return whenTrue != Nullness.Unknown || whenFalse != Nullness.Unknown;
            default:
                return false;
        }
    }

    private (FlowState WhenTrue, FlowState WhenFalse) Refine(IOperation condition, FlowState state)
    {
        if (_conditionalEffects.Count > 0 && BranchCall(condition, out var negated) is { } call)
        {
            return RefineOnResult(call, negated, state);
        }

        if (!TryNullTest(condition, out var test, out var operand, out var trueNullness, out var falseNullness)
            || !_testedRefs.TryGetValue(test, out var refs)
            || !HasPages(refs))
        {
            // Not a null test of a page: both successors see the same state (nothing mutates it after this point).
            return (state, state);
        }

        // The block's state is not used after its branch: one outcome refines it in place.
        var whenTrue = state.Clone();
        var whenFalse = state;
        var key = VarKey(operand);
        if (key is CaptureId id && _captureSources.TryGetValue(id, out var source) && state.TryGetVar(source, out var sourceRefs)
            && state.TryGetVar(id, out var capturedRefs) && sourceRefs.Equals(capturedRefs))
        {
            // The captured variable still holds what the capture copied: what the test says of one it says of both.
            Apply(whenTrue, refs, source, trueNullness);
            Apply(whenFalse, refs, source, falseNullness);
        }

        Apply(whenTrue, refs, key, trueNullness);
        Apply(whenFalse, refs, key, falseNullness);
        return (whenTrue, whenFalse);
    }

    /// <summary>The call a condition is, through conversions and <c>!</c>; <paramref name="negated"/> when an odd number of <c>!</c>.</summary>
    private static IInvocationOperation? BranchCall(IOperation condition, out bool negated)
    {
        negated = false;
        while (true)
        {
            switch (condition)
            {
                case IConversionOperation conversion:
                    condition = conversion.Operand;
                    break;
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                    negated = !negated;
                    condition = not.Operand;
                    break;
                case IInvocationOperation invocation:
                    return invocation;
                default:
                    return null;
            }
        }
    }

    /// <summary>A branch on a conditional helper's result: each outcome gets the effects the helper has when it returns that.</summary>
    private (FlowState WhenTrue, FlowState WhenFalse) RefineOnResult(IInvocationOperation call, bool negated, FlowState state)
    {
        var whenTrue = state.Clone();
        var whenFalse = state;
        var saved = _state;
        foreach (var effect in _conditionalEffects)
        {
            if (!ReferenceEquals(effect.Call, call))
            {
                continue;
            }

            // Where the helper returns OnResult the effect happens; on the other outcome the page stays the caller's.
            var happens = effect.OnResult != negated ? whenTrue : whenFalse;
            var other = ReferenceEquals(happens, whenTrue) ? whenFalse : whenTrue;
            if (effect.OutOrigin < 0)
            {
                _state = happens;
                HandOn(effect.Refs, effect.Call);
            }
            else
            {
                happens.SetPage(effect.OutOrigin, SmallSet.Create(new PageFact(PageState.Owned, effect.At)));
                other.SetPage(effect.OutOrigin, SmallSet.Create(new PageFact(PageState.Null, effect.At)));
            }
        }

        _state = saved;
        return (whenTrue, whenFalse);
    }

    /// <summary>The local or parameter a captured value reads, through captures of captures (<c>x ??= y</c> captures x twice).</summary>
    private ISymbol? CapturedVariable(IOperation value) => VarKey(value) switch
    {
        ISymbol symbol => symbol,
        CaptureId inner when _captureSources.TryGetValue(inner, out var source) => source,
        _ => null,
    };

    private static object? VarKey(IOperation operand) => Unwrap(operand) switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFlowCaptureReferenceOperation capture => capture.Id,
        _ => null,
    };

    private static void Apply(FlowState state, SmallSet<int> refs, object? key, Nullness nullness)
    {
        if (nullness == Nullness.Unknown)
        {
            return;
        }

        var isNull = nullness == Nullness.Null;
        foreach (var id in refs)
        {
            if (id < 0)
            {
                continue;
            }

            var facts = state.Facts(id);
            var kept = facts.Where(f => (f.State is PageState.Null or PageState.NotAllocated) == isNull || f.State == PageState.NotAllocated);
            state.SetPage(id, kept.IsEmpty ? SmallSet.Create(PageFact.NotAllocated) : kept);
        }

        if (key is not null && state.TryGetVar(key, out var varRefs))
        {
            state.SetVar(key, isNull ? FlowState.OnlyNull : varRefs.Remove(FlowState.NullRef));
        }
    }

    private void BindPattern(IPatternOperation pattern, SmallSet<int> refs)
    {
        switch (pattern)
        {
            case IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol local }:
                AssignVar(local, refs.Remove(FlowState.NullRef), pattern);
                break;
            case IRecursivePatternOperation { DeclaredSymbol: ILocalSymbol local }:
                AssignVar(local, refs.Remove(FlowState.NullRef), pattern);
                break;
            case INegatedPatternOperation negated:
                BindPattern(negated.Pattern, refs);
                break;
            case IBinaryPatternOperation binary:
                BindPattern(binary.LeftPattern, refs);
                BindPattern(binary.RightPattern, refs);
                break;
        }
    }

    // ---- origins, keys and locations -----------------------------------------------------------------------------

    private int OperationOrigin(IOperation operation)
    {
        if (!_originByOperation.TryGetValue(operation, out var id))
        {
            id = _origins.Count;
            _origins.Add(new PageOrigin(id, operation, null, operation.Syntax.GetLocation()));
            _originByOperation[operation] = id;
        }

        return id;
    }

    private int ParameterOrigin(ISymbol parameter)
    {
        if (!_originByParameter.TryGetValue(parameter, out var id))
        {
            id = _origins.Count;
            _origins.Add(new PageOrigin(id, null, parameter as IParameterSymbol, parameter.Locations.FirstOrDefault() ?? Location.None) { Name = parameter.Name });
            _originByParameter[parameter] = id;
        }

        return id;
    }

    /// <summary>
    /// Which slot an operation denotes: its text, and for every local or parameter its address is computed from, where
    /// that variable is declared (two loops' <c>i</c> are two variables, so <c>_ring[i]</c> of each is another slot).
    /// </summary>
    internal static string? SlotKey(IOperation slot)
    {
        if (slot is not (IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation))
        {
            return null;
        }

        var key = Normalize(slot.Syntax.ToString());
        foreach (var part in slot.Descendants())
        {
            var symbol = part switch
            {
                ILocalReferenceOperation local => (ISymbol)local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                _ => null,
            };
            if (symbol?.Locations.FirstOrDefault() is { } declared)
            {
                key += "|" + symbol.Name + "@" + declared.SourceSpan.Start;
            }
        }

        return key;
    }

    /// <summary>The slot an operation denotes, a ref local bound to one included: it is keyed by the local, whose reads and writes are the slot's.</summary>
    private string? SlotKeyOf(IOperation slot) =>
        slot is ILocalReferenceOperation { Local: { IsRef: true } local } && _refSlots.ContainsKey(local)
            ? "ref " + local.Name + "@" + (local.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0)
            : SlotKey(slot);

    /// <summary>The variables and fields a slot's address is computed from (not the slot's own field).</summary>
    private static ImmutableArray<ISymbol> SlotSymbols(IOperation slot)
    {
        var builder = ImmutableArray.CreateBuilder<ISymbol>();
        foreach (var child in slot.ChildOperations)
        {
            foreach (var part in child.DescendantsAndSelf())
            {
                switch (part)
                {
                    case ILocalReferenceOperation local:
                        builder.Add(local.Local);
                        break;
                    case IParameterReferenceOperation parameter:
                        builder.Add(parameter.Parameter);
                        break;
                    case IFieldReferenceOperation field:
                        builder.Add(field.Field);
                        break;
                }
            }
        }

        return builder.ToImmutable();
    }

    internal static string Normalize(string text)
    {
        var chars = text.Where(c => !char.IsWhiteSpace(c)).ToArray();
        var normalized = new string(chars);
        return normalized.StartsWith("this.", StringComparison.Ordinal) ? normalized.Substring(5) : normalized;
    }

    private Location ExitLocation(BasicBlock source, ControlFlowBranch branch)
    {
        if (source.ConditionKind == ControlFlowConditionKind.None && source.BranchValue is { } value)
        {
            var node = value.Syntax.FirstAncestorOrSelf<ReturnStatementSyntax>() ?? value.Syntax;
            return node.GetLocation();
        }

        if (source.ConditionKind != ControlFlowConditionKind.None && source.BranchValue is { } condition)
        {
            var taken = branch.IsConditionalSuccessor == (source.ConditionKind == ControlFlowConditionKind.WhenTrue);
            if (condition.Syntax.FirstAncestorOrSelf<IfStatementSyntax>() is { } ifStatement
                && ifStatement.Condition.Span.Contains(condition.Syntax.Span)
                && (taken ^= NegatedWithin(condition.Syntax, ifStatement.Condition)) is var _
                && ExitStatement(taken ? ifStatement.Statement : ifStatement.Else?.Statement) is { } exit)
            {
                return exit.GetLocation();
            }

            return condition.Syntax.GetLocation();
        }

        return NextExitStatement(source)?.GetLocation() ?? BodyEnd();
    }

    /// <summary>The graph folds a <c>!</c> into the branch's sense: an odd number of them between the tested value and the if's condition flips it.</summary>
    private static bool NegatedWithin(SyntaxNode tested, SyntaxNode condition)
    {
        var negated = false;
        for (var node = tested; node != condition && node.Parent is { } parent; node = parent)
        {
            negated ^= parent.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.LogicalNotExpression);
        }

        return negated;
    }

    private Location ThrowLocation(BasicBlock source)
    {
        if (source.BranchValue?.Syntax.FirstAncestorOrSelf<SyntaxNode>(n => n is ThrowStatementSyntax or ThrowExpressionSyntax) is { } thrown)
        {
            return thrown.GetLocation();
        }

        return NextExitStatement(source)?.GetLocation() ?? source.BranchValue?.Syntax.GetLocation() ?? BodyEnd();
    }

    /// <summary>For a block that ends without a branch value: the return, throw or yield break right after its last statement.</summary>
    private static SyntaxNode? NextExitStatement(BasicBlock source)
    {
        if (source.Operations.Length == 0)
        {
            return null;
        }

        var statement = source.Operations[source.Operations.Length - 1].Syntax.FirstAncestorOrSelf<StatementSyntax>();
        if (statement?.Parent is BlockSyntax block)
        {
            var index = block.Statements.IndexOf(statement);
            if (index >= 0 && index + 1 < block.Statements.Count)
            {
                return ExitStatement(block.Statements[index + 1]);
            }
        }

        return null;
    }

    private static SyntaxNode? ExitStatement(StatementSyntax? statement) => statement switch
    {
        ReturnStatementSyntax or ThrowStatementSyntax or YieldStatementSyntax => statement,
        BlockSyntax { Statements.Count: > 0 } block => ExitStatement(block.Statements[block.Statements.Count - 1]),
        _ => null,
    };

    private Location BodyEnd()
    {
        var syntax = _graph.OriginalOperation.Syntax;
        var body = syntax switch
        {
            BaseMethodDeclarationSyntax method => method.Body,
            AccessorDeclarationSyntax accessor => accessor.Body,
            LocalFunctionStatementSyntax localFunction => localFunction.Body,
            AnonymousFunctionExpressionSyntax function => function.Block,
            BlockSyntax block => block,
            _ => null,
        };
        if (body is null && syntax is CompilationUnitSyntax unit
            && unit.Members.OfType<GlobalStatementSyntax>().LastOrDefault(g => g.Statement is not LocalFunctionStatementSyntax) is { } last)
        {
            // Top-level statements end where the last of them does (local functions after it are not run there).
            return last.GetLastToken().GetLocation();
        }

        return body?.CloseBraceToken.GetLocation() ?? syntax.GetLocation();
    }

    /// <summary>
    /// One effect of a call whose result a branch tests: hand <see cref="Refs"/> on (a conditional consumer), or give
    /// the out page <see cref="OutOrigin"/> to the caller, on the outcome <see cref="OnResult"/>.
    /// </summary>
    private readonly struct ConditionalEffect
    {
        public ConditionalEffect(IOperation call, SmallSet<int> refs, int outOrigin, IOperation at, bool onResult)
        {
            Call = call;
            Refs = refs;
            OutOrigin = outOrigin;
            At = at;
            OnResult = onResult;
        }

        public IOperation Call { get; }

        public SmallSet<int> Refs { get; }

        public int OutOrigin { get; }

        public IOperation At { get; }

        public bool OnResult { get; }
    }

    /// <summary>The blocks waiting to be solved, taken lowest ordinal first (a forward order converges fastest).</summary>
    private sealed class Worklist
    {
        private readonly bool[] _queued;
        private int _lowest;
        private int _count;

        public Worklist(int blocks)
        {
            _queued = new bool[blocks];
            _lowest = blocks;
        }

        public void Add(int ordinal)
        {
            if (!_queued[ordinal])
            {
                _queued[ordinal] = true;
                _count++;
                _lowest = Math.Min(_lowest, ordinal);
            }
        }

        public bool TryTakeFirst(out int ordinal)
        {
            if (_count == 0)
            {
                ordinal = -1;
                return false;
            }

            while (!_queued[_lowest])
            {
                _lowest++;
            }

            ordinal = _lowest;
            _queued[ordinal] = false;
            _count--;
            return true;
        }
    }

    private sealed class BudgetExceededException : Exception
    {
    }
}
