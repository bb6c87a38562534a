using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using static PoolRules.Analyzers.Flow.NullTests;

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
    private readonly IParameterSymbol? _summarized;
    private readonly PageFlowResult? _result;
    private readonly List<PageOrigin> _origins = new();
    private readonly Dictionary<IOperation, int> _originByOperation = new();
    private readonly Dictionary<IParameterSymbol, int> _originByParameter = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IOperation, SmallSet<int>> _testedRefs = new();
    private readonly HashSet<IFlowAnonymousFunctionOperation> _lambdas = new();
    private readonly ControlFlowRegion?[] _finallyOf;
    private readonly bool _hasFinally;

    /// <summary>No branch goes back to an earlier block (no loop, no backward goto): the worklist then visits blocks in order, once each.</summary>
    private readonly bool _forwardOnly = true;
    private readonly Dictionary<SyntaxNode, HashSet<string>> _capturedNames = new();
    private readonly Dictionary<ControlFlowBranch, ImmutableArray<ControlFlowRegion>> _finallyRegions = new();

    private readonly Dictionary<int, List<LeakExit>> _leaks = new();
    private readonly Dictionary<IOperation, DoublePutFinding> _doublePuts = new();
    private readonly Dictionary<SyntaxNode, UseAfterPutFinding> _uses = new();
    private readonly Dictionary<IOperation, WrongPoolFinding> _wrongPools = new();
    private readonly List<FlowState> _summaryExits = new();
    private bool _returnsOwned;

    private FlowState _state = new();
    private bool _reporting;
    private int _visits;

    private PageFlowRun(KnownSymbols known, ControlFlowGraph graph, ImmutableArray<IParameterSymbol> parameters, IParameterSymbol? summarized, PageFlowResult? result)
    {
        _known = known;
        _graph = graph;
        _parameters = parameters;
        _summarized = summarized;
        _result = result;
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
        PageFlowCache.MayInvolvePages(syntax) || function.Parameters.Any(known.TakesOwnership);

    /// <summary>Runs the graph with <paramref name="parameter"/> owned on entry and reports what every normal exit leaves of it.</summary>
    public static ParameterSummary SummarizeParameter(KnownSymbols known, ControlFlowGraph graph, ImmutableArray<IParameterSymbol> parameters, IParameterSymbol parameter)
    {
        var run = new PageFlowRun(known, graph, parameters, parameter, null);
        run.Run();
        if (run._summaryExits.Count == 0 || !run._originByParameter.TryGetValue(parameter, out var origin))
        {
            return ParameterSummary.Borrows;
        }

        var putsOnEveryPath = true;
        foreach (var exit in run._summaryExits)
        {
            foreach (var fact in exit.Facts(origin))
            {
                switch (fact.State)
                {
                    case PageState.Owned or PageState.Borrowed:
                        return ParameterSummary.Borrows;
                    case PageState.HandedOn or PageState.Released:
                        putsOnEveryPath = false;
                        break;
                }
            }
        }

        return putsOnEveryPath ? ParameterSummary.Puts : ParameterSummary.Consumes;
    }

    /// <summary>Runs the graph and tells whether some return hands an owned page to the caller.</summary>
    public static bool ReturnsOwnedPage(KnownSymbols known, ControlFlowGraph graph, ImmutableArray<IParameterSymbol> parameters)
    {
        var run = new PageFlowRun(known, graph, parameters, null, null);
        run.Run();
        return run._returnsOwned;
    }

    private void Run()
    {
        var entry = new FlowState();
        foreach (var parameter in _parameters)
        {
            if (parameter.RefKind == RefKind.Out || !_known.IsPage(parameter.Type))
            {
                continue;
            }

            var owned = SymbolEqualityComparer.Default.Equals(parameter, _summarized) || _known.TakesOwnership(parameter);
            var id = ParameterOrigin(parameter);
            entry.Pages[id] = SmallSet.Create(new PageFact(owned ? PageState.Owned : PageState.Borrowed, null), new PageFact(PageState.Null, null));
            entry.Vars[parameter] = SmallSet.Ref(id);
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
                ProcessBlock(_graph.Blocks[ordinal], state.Clone(), null, ins, null, null);
            }
        }
    }

    private void Publish(PageFlowResult result)
    {
        foreach (var pair in _leaks.OrderBy(p => _origins[p.Key].Location.SourceSpan.Start))
        {
            var origin = _origins[pair.Key];
            var exits = pair.Value.OrderBy(e => e.Location.SourceSpan.Start).ToImmutableArray();
            var how = origin.Parameter is not null ? "received" : origin.Operation is IInvocationOperation { TargetMethod.Name: not "Exchange" } ? "allocated" : "taken";
            result.Leaks.Add(new LeakFinding(origin.Location, origin.DisplayName, how, exits));
        }

        result.DoublePuts.AddRange(_doublePuts.Values.OrderBy(f => f.Call.SourceSpan.Start));
        result.UsesAfterPut.AddRange(_uses.Values.OrderBy(f => f.Use.SourceSpan.Start));
        result.WrongPools.AddRange(_wrongPools.Values.OrderBy(f => f.Call.SourceSpan.Start));
    }

    // ---- solving -------------------------------------------------------------------------------------------------

    private bool InScope(int ordinal, ControlFlowRegion? scope) =>
        ordinal >= 0 && ordinal < _finallyOf.Length && _finallyOf[ordinal] == scope;

    private void Solve(ControlFlowRegion? scope, int start, FlowState startState, FlowState?[] ins, List<FlowState>? finallyExits)
    {
        var worklist = new SortedSet<int>();
        Merge(ins, start, startState, worklist);
        while (worklist.Count > 0)
        {
            var ordinal = worklist.Min;
            worklist.Remove(ordinal);
            if (++_visits > MaxBlockVisits)
            {
                throw new BudgetExceededException();
            }

            // In a graph without back edges nothing merges into a block once it ran, so its state need not be kept.
            var state = _forwardOnly ? ins[ordinal]! : ins[ordinal]!.Clone();
            ProcessBlock(_graph.Blocks[ordinal], state, scope, ins, worklist, finallyExits);
        }
    }

    private static void Merge(FlowState?[] ins, int ordinal, FlowState state, SortedSet<int>? worklist)
    {
        if (worklist is null)
        {
            return;
        }

        if (ins[ordinal] is not { } existing)
        {
            ins[ordinal] = state.Clone();
            worklist.Add(ordinal);
        }
        else if (FlowState.JoinInto(existing, state))
        {
            worklist.Add(ordinal);
        }
    }

    private void ProcessBlock(BasicBlock block, FlowState state, ControlFlowRegion? scope, FlowState?[] ins, SortedSet<int>? worklist, List<FlowState>? finallyExits)
    {
        if (block.Kind == BasicBlockKind.Exit)
        {
            return;
        }

        // Implicit exceptions are not modelled as exits, so a catch handler starts from the state its try began with
        // (what an exception at the very start would leave) joined with the states of explicit throws inside the try.
        MergeIntoEnclosingHandlers(block, state, scope, ins, worklist);

        _state = state;
        _testedRefs.Clear();
        foreach (var operation in block.Operations)
        {
            Eval(operation);
        }

        var fallThrough = block.FallThroughSuccessor;
        if (block.ConditionKind == ControlFlowConditionKind.None)
        {
            if (block.BranchValue is { } value)
            {
                var refs = Eval(value);
                if (fallThrough?.Semantics is not (ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow) && HasPages(refs))
                {
                    // The returned page goes to the caller.
                    Use(refs, value);
                    _returnsOwned |= _reporting && refs.Any(r => r >= 0 && Owns(r));
                    HandOn(refs, value);
                }
            }

            if (fallThrough is not null)
            {
                Follow(block, fallThrough, _state, scope, ins, worklist, finallyExits);
            }

            return;
        }

        var condition = block.BranchValue!;
        Eval(condition);
        var (whenTrue, whenFalse) = Refine(condition, _state);
        var jumpsWhenTrue = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
        if (block.ConditionalSuccessor is { } conditional)
        {
            Follow(block, conditional, jumpsWhenTrue ? whenTrue : whenFalse, scope, ins, worklist, finallyExits);
        }

        if (fallThrough is not null)
        {
            Follow(block, fallThrough, jumpsWhenTrue ? whenFalse : whenTrue, scope, ins, worklist, finallyExits);
        }
    }

    private void Follow(BasicBlock source, ControlFlowBranch branch, FlowState state, ControlFlowRegion? scope, FlowState?[] ins, SortedSet<int>? worklist, List<FlowState>? finallyExits)
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
                    AtExit(state, ExitLocation(source, branch), LeakExitKind.Return);
                }
                else if (InScope(destination.Ordinal, scope))
                {
                    Merge(ins, destination.Ordinal, state, worklist);
                }

                return;
            case ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow:
                Thrown(source, state, scope, ins, worklist);
                return;
            case ControlFlowBranchSemantics.StructuredExceptionHandling:
                finallyExits?.Add(state);
                return;
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
    private void Thrown(BasicBlock source, FlowState state, ControlFlowRegion? scope, FlowState?[] ins, SortedSet<int>? worklist)
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

        AtExit(state, ThrowLocation(source), LeakExitKind.Throw);
    }

    private void MergeIntoEnclosingHandlers(BasicBlock block, FlowState state, ControlFlowRegion? scope, FlowState?[] ins, SortedSet<int>? worklist)
    {
        for (var region = block.EnclosingRegion; region is not null && region != scope; region = region.EnclosingRegion)
        {
            if (region.Kind == ControlFlowRegionKind.Try && region.EnclosingRegion is { Kind: ControlFlowRegionKind.TryAndCatch } parent)
            {
                if (block.Ordinal == region.FirstBlockOrdinal)
                {
                    MergeIntoHandlers(parent, state, scope, ins, worklist);
                }

                return;
            }
        }
    }

    private void MergeIntoHandlers(ControlFlowRegion tryAndCatch, FlowState state, ControlFlowRegion? scope, FlowState?[] ins, SortedSet<int>? worklist)
    {
        foreach (var handler in tryAndCatch.NestedRegions)
        {
            if (handler.Kind != ControlFlowRegionKind.Try && InScope(handler.FirstBlockOrdinal, scope))
            {
                Merge(ins, handler.FirstBlockOrdinal, state, worklist);
            }
        }
    }

    /// <summary>Runs a finally region from one incoming state; null when the finally never completes normally.</summary>
    private FlowState? RunFinally(ControlFlowRegion region, FlowState state)
    {
        var saved = _state;
        var savedReporting = _reporting;
        var savedTested = new Dictionary<IOperation, SmallSet<int>>(_testedRefs);
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
                        ProcessBlock(_graph.Blocks[ordinal], blockState.Clone(), region, ins, null, exits);
                    }
                }
            }

            return FlowState.Join(exits);
        }
        finally
        {
            _state = saved;
            _reporting = savedReporting;
            _testedRefs.Clear();
            foreach (var pair in savedTested)
            {
                _testedRefs[pair.Key] = pair.Value;
            }
        }
    }

    private void AtExit(FlowState state, Location location, LeakExitKind kind)
    {
        if (!_reporting)
        {
            return;
        }

        if (_summarized is not null)
        {
            if (kind == LeakExitKind.Return)
            {
                _summaryExits.Add(state.Clone());
            }

            return;
        }

        foreach (var pair in state.Pages)
        {
            if (pair.Value.Any(f => f.State == PageState.Owned))
            {
                AddLeak(pair.Key, location, kind);
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
            exits.Add(new LeakExit(location, kind));
        }
    }

    // ---- transfer functions --------------------------------------------------------------------------------------

    private SmallSet<int> Eval(IOperation? operation)
    {
        switch (operation)
        {
            case null:
                return NoRefs;
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
                _state.Vars[capture.Id] = Eval(capture.Value);
                return NoRefs;
            case ISimpleAssignmentOperation assignment:
                return Assign(assignment);
            case IInvocationOperation invocation:
                return Invoke(invocation);
            case IObjectCreationOperation creation:
                PassArguments(creation.Constructor, creation.Arguments, EvalArguments(creation.Arguments), null, creation);
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
            case IFlowAnonymousFunctionOperation lambda:
                // A lambda that captures a page is stored or passed on: whoever runs it later owns the page.
                _lambdas.Add(lambda);
                HandOnCaptured(lambda.Syntax, lambda.Symbol, lambda);
                return NoRefs;
            case IReturnOperation yielded:
                var yieldedRefs = Eval(yielded.ReturnedValue);
                Use(yieldedRefs, yielded.ReturnedValue);
                HandOn(yieldedRefs, yielded);
                return NoRefs;
            case IFieldReferenceOperation field:
                UseInstance(field.Instance);
                return Read(field);
            case IPropertyReferenceOperation property:
                UseInstance(property.Instance);
                foreach (var argument in property.Arguments)
                {
                    Eval(argument.Value);
                }

                return Read(property);
            case IArrayElementReferenceOperation element:
                Eval(element.ArrayReference);
                foreach (var index in element.Indices)
                {
                    Eval(index);
                }

                return Read(element);
            case IArrayCreationOperation or IArrayInitializerOperation or ITupleOperation or IAnonymousObjectCreationOperation:
                // A page put into a new array, tuple or anonymous object travels with it.
                foreach (var child in operation.ChildOperations)
                {
                    var childRefs = Eval(child);
                    Use(childRefs, child);
                    HandOn(childRefs, operation);
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

    private SmallSet<int> Var(object key) => _state.Vars.TryGetValue(key, out var refs) ? refs : NoRefs;

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
        _origins[id].SlotKey ??= SlotKey(slot);
        NewInstance(id, slot, PageState.Borrowed);
        return SmallSet.Ref(id);
    }

    private SmallSet<int> Produce(IOperation producer, PageState state, IOperation? pool)
    {
        var id = OperationOrigin(producer);
        if (pool is not null)
        {
            _origins[id].Pool ??= PoolKeys.Of(pool, _known);
        }

        NewInstance(id, producer, state);
        return SmallSet.Ref(id);
    }

    private void NewInstance(int id, IOperation at, PageState state)
    {
        // The same operation runs again (a loop) while its previous page is still owned: that page is lost.
        if (_state.Pages.TryGetValue(id, out var previous) && previous.Any(f => f.State == PageState.Owned))
        {
            AddLeak(id, at.Syntax.GetLocation(), LeakExitKind.Reallocation);
        }

        _state.Pages[id] = SmallSet.Create(new PageFact(state, at), new PageFact(PageState.Null, at));
    }

    private SmallSet<int> Assign(ISimpleAssignmentOperation assignment)
    {
        var target = assignment.Target;
        EvalTargetParts(target);
        var value = Eval(assignment.Value);
        switch (target)
        {
            case ILocalReferenceOperation local when !local.Local.IsRef:
                AssignVar(local.Local, value, assignment);
                break;
            case IParameterReferenceOperation parameter when parameter.Parameter.RefKind == RefKind.None:
                AssignVar(parameter.Parameter, value, assignment);
                break;
            case IDiscardOperation:
                break;
            case IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation:
                Use(value, assignment.Value);
                HandOn(value, assignment);
                TakeFromSlot(SlotKey(target));
                break;
            default:
                // out/ref parameters, ref locals, event or dynamic targets: the page outlives this method.
                Use(value, assignment.Value);
                HandOn(value, assignment);
                break;
        }

        return value;
    }

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
                Eval(element.ArrayReference);
                foreach (var index in element.Indices)
                {
                    Eval(index);
                }

                break;
        }
    }

    private void AssignVar(ISymbol symbol, SmallSet<int> value, IOperation at)
    {
        if (_state.Vars.TryGetValue(symbol, out var old))
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

        _state.Vars[symbol] = value;
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
        if (!_state.Pages.TryGetValue(origin, out var facts) || facts.Any(f => f.State == PageState.Owned))
        {
            return;
        }

        foreach (var refs in _state.Vars.Values)
        {
            if (refs.Contains(origin))
            {
                return;
            }
        }

        _state.Pages.Remove(origin);
    }

    private bool Owns(int origin) => _state.Facts(origin).Any(f => f.State == PageState.Owned);

    private bool HeldElsewhere(int origin, ISymbol symbol)
    {
        foreach (var pair in _state.Vars)
        {
            if (pair.Key is ISymbol other && !SymbolEqualityComparer.Default.Equals(other, symbol) && pair.Value.Contains(origin))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The drain idiom: a page read from a slot that is then overwritten belongs to this method from the read on.</summary>
    private void TakeFromSlot(string? key)
    {
        if (key is null)
        {
            return;
        }

        foreach (var origin in _origins)
        {
            if (origin.SlotKey == key && _state.Pages.TryGetValue(origin.Id, out var facts) && facts.Any(f => f.State == PageState.Borrowed))
            {
                Replace(origin.Id, PageState.Borrowed, new PageFact(PageState.Owned, origin.Operation));
            }
        }
    }

    private void Replace(int origin, PageState from, PageFact to)
    {
        var facts = _state.Facts(origin);
        var kept = facts.Where(f => f.State != from);
        if (kept.Count != facts.Count)
        {
            _state.Pages[origin] = kept.Add(to);
        }
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

        // HandOn changes page states only, never the variables being enumerated.
        foreach (var pair in _state.Vars)
        {
            if (pair.Key is ISymbol symbol && names.Contains(symbol.Name))
            {
                HandOn(pair.Value, at);
            }
        }
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
            else if (argument.Parameter?.RefKind is RefKind.Ref && argument.Value is IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation)
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

        if (invocation.Instance is not null && _known.IsPagePool(method.ContainingType))
        {
            switch (method.Name)
            {
                case "AllocPages" or "DevAllocPages" or "AllocFrag":
                    ClearOutArguments(invocation.Arguments);
                    return Produce(invocation, PageState.Owned, invocation.Instance);
                case "PutPage" or "PutFullPage" or "RecycleDirect":
                    Release(PageArgument(invocation.Arguments, args), invocation, PageState.Put, invocation.Instance);
                    return NoRefs;
                case "ReleasePage":
                    Release(PageArgument(invocation.Arguments, args), invocation, PageState.Released, invocation.Instance);
                    return NoRefs;
            }

            UseArguments(invocation.Arguments, args);
            return NoRefs;
        }

        if (invocation.Instance is not null && _known.IsPage(method.ContainingType))
        {
            if (method.Name == "Put" && method.Parameters.Length == 0)
            {
                Release(instance, invocation, PageState.Dropped, null);
            }
            else if (method.Name == "Get" && method.Parameters.Length == 0)
            {
                Use(instance, invocation.Instance);
                Share(instance, invocation);
            }
            else
            {
                Use(instance, invocation.Instance);
            }

            UseArguments(invocation.Arguments, args);
            return NoRefs;
        }

        if (method.Name == "Exchange" && _known.IsPage(method.ReturnType)
            && SymbolEqualityComparer.Default.Equals(method.ContainingType, _known.Interlocked) && invocation.Arguments.Length == 2)
        {
            // Interlocked.Exchange(ref slot, x): the old page is now ours, x lives in the slot.
            HandOn(args[1], invocation);
            TakeFromSlot(SlotKey(invocation.Arguments[0].Value));
            return Produce(invocation, PageState.Owned, null);
        }

        if (HasPages(instance))
        {
            Use(instance, invocation.Instance);
        }

        PassArguments(method, invocation.Arguments, args, invocation.Instance, invocation);
        if (method.MethodKind == MethodKind.LocalFunction && method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is { } localFunction)
        {
            // A local function that mentions a page variable of ours takes it over when it runs.
            HandOnCaptured(localFunction, method, invocation);
        }

        if (!_known.IsPage(method.ReturnType))
        {
            return NoRefs;
        }

        return Produce(invocation, _known.Flow.ReturnsOwnedPage(method, _graph) ? PageState.Owned : PageState.Borrowed, null);
    }

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
            if (argument.Parameter?.RefKind == RefKind.Out)
            {
                switch (argument.Value)
                {
                    case ILocalReferenceOperation local:
                        _state.Vars[local.Local] = NoRefs;
                        break;
                    case IParameterReferenceOperation parameter:
                        _state.Vars[parameter.Parameter] = NoRefs;
                        break;
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

            Use(refs[i], argument.Value);
            if (parameter.RefKind == RefKind.Ref || _known.TakesOwnership(parameter) || _known.StoresPages(method, instance))
            {
                HandOn(refs[i], at);
                continue;
            }

            switch (_known.Flow.Summary(method, parameter.Ordinal, _graph))
            {
                case ParameterSummary.Consumes:
                    HandOn(refs[i], at);
                    break;
                case ParameterSummary.Puts:
                    Release(refs[i], at, PageState.Put, null);
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
                _state.Pages[id] = SmallSet.Create(new PageFact(PageState.Shared, at));
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
                var earlier = Earliest(facts.Where(f => f.IsGone || (f.State == PageState.Released && now != PageState.Dropped)));
                if (earlier is { } fact && !_doublePuts.ContainsKey(at))
                {
                    _doublePuts[at] = new DoublePutFinding(at.Syntax.GetLocation(), _origins[id].DisplayName, now, fact.State, FactLocation(fact, id));
                }

                if (pool is not null && now != PageState.Dropped && facts.Any(f => f.State == PageState.Owned))
                {
                    CheckPool(id, at, pool);
                }
            }

            _state.Pages[id] = SmallSet.Create(new PageFact(now, at));
        }
    }

    private void CheckPool(int id, IOperation at, IOperation pool)
    {
        var origin = _origins[id];
        if (origin.Pool is not { } from || OwnPool(id, pool) || PoolKeys.Of(pool, _known) is not { } to || from.Key == to.Key || _wrongPools.ContainsKey(at))
        {
            return;
        }

        _wrongPools[at] = new WrongPoolFinding(at.Syntax.GetLocation(), origin.DisplayName, from.Display, to.Display, origin.Location);
    }

    // `page.Pool` of the page being put is the pool it came from, whichever that was (DESIGN: same pool).
    private bool OwnPool(int id, IOperation pool) =>
        Unwrap(pool) is IPropertyReferenceOperation { Property.Name: "Pool", Instance: { } instance } property
        && _known.IsPage(property.Property.ContainingType)
        && VarKey(instance) is { } key
        && Var(key).Contains(id);

    private void Use(SmallSet<int> refs, IOperation? use)
    {
        if (!Reporting || use is null || _uses.ContainsKey(use.Syntax))
        {
            return;
        }

        var gone = new List<(PageFact Fact, int Origin)>();
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

                gone.Add((fact, id));
            }
        }

        if (gone.Count == 0)
        {
            return;
        }

        var first = gone.OrderBy(g => g.Fact.At?.Syntax.SpanStart ?? 0).First();
        _uses[use.Syntax] = new UseAfterPutFinding(use.Syntax.GetLocation(), _origins[first.Origin].DisplayName, first.Fact.State, FactLocation(first.Fact, first.Origin));
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

    private static IOperation Unwrap(IOperation operation) => operation is IConversionOperation conversion ? Unwrap(conversion.Operand) : operation;

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
        if (!TryNullTest(condition, out var test, out var operand, out var trueNullness, out var falseNullness)
            || !_testedRefs.TryGetValue(test, out var refs)
            || !HasPages(refs))
        {
            // Not a null test of a page: both successors see the same state (nothing mutates it after this point).
            return (state, state);
        }

        var whenTrue = state.Clone();
        var whenFalse = state.Clone();
        var key = VarKey(operand);
        Apply(whenTrue, refs, key, trueNullness);
        Apply(whenFalse, refs, key, falseNullness);
        return (whenTrue, whenFalse);
    }

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
            state.Pages[id] = kept.IsEmpty ? SmallSet.Create(PageFact.NotAllocated) : kept;
        }

        if (key is not null && state.Vars.TryGetValue(key, out var varRefs))
        {
            state.Vars[key] = isNull ? FlowState.OnlyNull : varRefs.Remove(FlowState.NullRef);
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

    private int ParameterOrigin(IParameterSymbol parameter)
    {
        if (!_originByParameter.TryGetValue(parameter, out var id))
        {
            id = _origins.Count;
            _origins.Add(new PageOrigin(id, null, parameter, parameter.Locations.FirstOrDefault() ?? Location.None) { Name = parameter.Name });
            _originByParameter[parameter] = id;
        }

        return id;
    }

    internal static string? SlotKey(IOperation slot) => slot switch
    {
        IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation => Normalize(slot.Syntax.ToString()),
        _ => null,
    };

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
                && ExitStatement(taken ? ifStatement.Statement : ifStatement.Else?.Statement) is { } exit)
            {
                return exit.GetLocation();
            }

            return condition.Syntax.GetLocation();
        }

        return NextExitStatement(source)?.GetLocation() ?? BodyEnd();
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
        return body?.CloseBraceToken.GetLocation() ?? syntax.GetLocation();
    }

    private sealed class BudgetExceededException : Exception
    {
    }
}
