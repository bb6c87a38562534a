using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers.Flow;

/// <summary>
/// A cheap proof, over the operation tree and without a control flow graph, that the dataflow engine would find
/// nothing in a body. Most bodies that allocate pages are correct; building their graph costs more than the whole
/// rest of the analysis, so a body this proof accepts gets no graph. The proof over-approximates the engine: every
/// page state the engine can reach is in the proof's state too, and the proof gives up (the engine then runs and is
/// the one that reports) on anything it does not model exactly: aliases, goto, yield, page-valued branches, lambdas
/// or local functions that touch pages. Tests run both on every input and fail if the proof accepts a body the engine
/// reports on (<see cref="PageFlowCache.CrossCheck"/>).
/// </summary>
internal sealed partial class CleanBodyProof
{
    /// <summary>What the proof can say about a body without the engine.</summary>
    internal enum Verdict
    {
        /// <summary>Not modelled exactly: the engine decides.</summary>
        Unknown,

        /// <summary>The engine would report nothing.</summary>
        Clean,

        /// <summary>The engine would report exactly the leaks the proof found, and nothing else.</summary>
        Leaks,
    }

    // Operations visited before the proof gives up on a body (nested loops re-walk their bodies).
    private const int MaxVisits = 20000;

    // Pages tracked in one body before the proof leaves it to the engine: a state is one byte per page in two longs.
    private const int MaxTracked = 16;

    // A loop whose state has not settled after this many passes goes to the engine.
    private const int MaxLoopPasses = 4;

    // One proof per thread, cleared between bodies: most bodies are small and their lists would be most of the garbage.
    [ThreadStatic]
    private static CleanBodyProof? s_spare;

    private KnownSymbols _known;

    // What each tracked page id stands for: a variable (its symbol) or a temp (the operation that made it). Bodies
    // track a handful, so a list searched by reference beats hashing operations that were never hashed before.
    private readonly List<object> _keys = new();

    // Per id, for the whole body rather than per path: the pool an owned page came from and the slot a borrowed one was
    // read from. Two different values merge into MixedPools / AnySlot, which only makes the proof give up more often.
    private readonly List<object?> _pools = new();
    private readonly List<string?> _slots = new();
    private readonly Stack<Value> _receivers = new();

    // Body-wide, as pools and slots: variables of another type that stand for a rental variable (a span, memory or
    // segment over it, an object reference to it), and fields a rental was stored in. See Bind and the field store.
    private readonly List<(ILocalSymbol Local, int Target)> _aliases = new();
    private readonly List<IFieldSymbol> _storedFields = new();

    // Leak reporting (turned off where a page becomes owned in a way the proof over-approximates, a
    // drained slot): per id, the allocation whose page it holds (TwoTakes when it may hold two).
    private readonly List<object?> _takes = new();
    private bool _reportLeaks;
    private readonly List<Jump> _jumps = new();
    private State _state;
    private int _visits;
    private int _tryCatchDepth;

    // Try statements with a finally around the current statement: a jump's state is final only outside all of them,
    // and a take that throws there runs the finally from the state before it (the engine's PP0102).
    private int _finallyDepth;
    private bool _failed;

    // The body may take from one of .NET's pools: rental-typed variables are followed as page variables are.
    private bool _rentals;

    private CleanBodyProof(KnownSymbols known)
    {
        _known = known;
    }

    /// <summary>True only when the engine, run on <paramref name="body"/>, would report nothing.</summary>
    public static bool Holds(KnownSymbols known, IOperation body, IMethodSymbol? owner) =>
        Holds(known, body, owner, PageFlowCache.MayInvolveRentals(body.Syntax, known));

    /// <param name="rentals">Whether the body may take from one of .NET's pools, as the pre-filter found.</param>
    public static bool Holds(KnownSymbols known, IOperation body, IMethodSymbol? owner, bool rentals) =>
        Judge(known, body, owner, rentals, reportLeaks: false, out _) == Verdict.Clean;

    /// <summary>
    /// <see cref="Verdict.Clean"/> when the engine would report nothing; with <paramref name="reportLeaks"/>, also
    /// <see cref="Verdict.Leaks"/> with the engine's exact leak findings (PP0001, PP0101) in <paramref name="leaks"/>, for a body
    /// whose only defect is pages still owned at returns and throws outside any try (the code a team meets the day it
    /// installs the package: its graph is never built). Anything else is <see cref="Verdict.Unknown"/>: the engine decides.
    /// </summary>
    public static Verdict Judge(KnownSymbols known, IOperation body, IMethodSymbol? owner, bool rentals, bool reportLeaks, out PageFlowResult? leaks)
    {
        leaks = null;
        var block = body switch
        {
            IMethodBodyOperation method => (IOperation?)method.BlockBody ?? method.ExpressionBody,
            IConstructorBodyOperation { Initializer: null } constructor => constructor.BlockBody,
            IBlockOperation => body,
            _ => null,
        };
        if (block is null || owner is null)
        {
            return Verdict.Unknown;
        }

        // Iterators fail on their first yield.
        var proof = s_spare ?? new CleanBodyProof(known);
        s_spare = null;
        try
        {
            proof.Reset(known);
            proof._rentals = rentals;

            // Exits are placed as the engine places them only in a method's own block (not top-level statements or an expression body).
            proof._reportLeaks = reportLeaks && block.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.BlockSyntax
                && block.Syntax.Parent is not Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax;
            return proof.Prove(block, owner, out leaks);
        }
        finally
        {
            s_spare = proof;
        }
    }

    private void Reset(KnownSymbols known)
    {
        _known = known;
        _keys.Clear();
        _pools.Clear();
        _slots.Clear();
        _receivers.Clear();
        _aliases.Clear();
        _storedFields.Clear();
        _jumps.Clear();
        _state = new State();
        _visits = 0;
        _tryCatchDepth = 0;
        _finallyDepth = 0;
        _failed = false;
        _rentals = false;
        _takes.Clear();
        _reportLeaks = false;
    }

    private Verdict Prove(IOperation block, IMethodSymbol owner, out PageFlowResult? leaks)
    {
        leaks = null;
        foreach (var parameter in owner.Parameters)
        {
            if (parameter.RefKind != RefKind.Out && _known.IsPage(parameter.Type))
            {
                if (_known.TakesOwnership(parameter))
                {
                    return Verdict.Unknown;
                }

                var id = Variable(parameter);
                _state.Set(id, Mask.Borrowed | Mask.Null);
            }
        }

        Statement(block);
        if (_failed)
        {
            return Verdict.Unknown;
        }

        List<(int Id, SyntaxNode At, LeakExitKind Kind)>? exits = null;
        foreach (var jump in _jumps)
        {
            if (jump.Kind is not (JumpKind.Return or JumpKind.Throw))
            {
                return Verdict.Unknown;
            }

            if (!NothingOwned(jump.State, 0) && !LeakExits(jump.State, jump.At, jump.Kind == JumpKind.Throw ? LeakExitKind.Throw : LeakExitKind.Return, ref exits))
            {
                return Verdict.Unknown;
            }
        }

        // Falling off the end of the body: the engine names the statement it came from, found on its graph.
        if (!NothingOwned(_state, 0))
        {
            return Verdict.Unknown;
        }

        if (exits is null)
        {
            return Verdict.Clean;
        }

        leaks = Publish(exits);
        return Verdict.Leaks;
    }

    /// <summary>The owned pages of an exit's state as leaks there; false when that is not what the engine would say.</summary>
    private bool LeakExits(State state, SyntaxNode? at, LeakExitKind kind, ref List<(int Id, SyntaxNode At, LeakExitKind Kind)>? exits)
    {
        if (!_reportLeaks || at is null)
        {
            return false;
        }

        for (var id = 0; id < _keys.Count; id++)
        {
            if (Has(state.Get(id), Mask.Owned))
            {
                // A page the proof can name as the engine does: one allocation, held by one variable.
                if (_keys[id] is not ILocalSymbol || _takes[id] is not IInvocationOperation)
                {
                    return false;
                }

                (exits ??= new()).Add((id, at, kind));
            }
        }

        return true;
    }

    /// <summary>The findings as the engine publishes them: per allocation in source order, its exits in source order.</summary>
    private PageFlowResult Publish(List<(int Id, SyntaxNode At, LeakExitKind Kind)> exits)
    {
        // A handful of exits: sorted in place, then grouped by allocation without LINQ (this runs for every leaking body).
        exits.Sort(static (a, b) => a.At.SpanStart.CompareTo(b.At.SpanStart));
        var ids = new List<int>();
        foreach (var exit in exits)
        {
            if (!ids.Contains(exit.Id))
            {
                ids.Add(exit.Id);
            }
        }

        ids.Sort((a, b) => ((IOperation)_takes[a]!).Syntax.SpanStart.CompareTo(((IOperation)_takes[b]!).Syntax.SpanStart));
        var result = new PageFlowResult();
        foreach (var id in ids)
        {
            var places = ImmutableArray.CreateBuilder<LeakExit>();
            SyntaxNode? last = null;
            foreach (var (leaked, at, kind) in exits)
            {
                if (leaked == id && at != last)
                {
                    places.Add(new LeakExit(at.GetLocation(), kind, topLevel: false));
                    last = at;
                }
            }

            var take = (IInvocationOperation)_takes[id]!;
            var pool = PoolContracts.Of(take, _known).Kind;
            result.Leaks.Add(new LeakFinding(take.Syntax.GetLocation(), "'" + ((ISymbol)_keys[id]).Name + "'", LeakFinding.Taken(pool, take), places.ToImmutable(), pool));
        }

        return result;
    }

    // ---- statements ----------------------------------------------------------------------------------------------

    private void Statement(IOperation? operation)
    {
        if (operation is null || _failed)
        {
            return;
        }

        if (_state.Unreachable)
        {
            // The engine never reaches this code, but analyses every local function declared in the body.
            foreach (var node in operation.DescendantsAndSelf())
            {
                if (node is ILocalFunctionOperation localFunction && TouchesPages(localFunction.Syntax, localFunction.Symbol))
                {
                    Fail();
                }
            }

            return;
        }

        if (++_visits > MaxVisits)
        {
            Fail();
            return;
        }

        // By kind: a type switch would test each statement against every interface in turn.
        switch (operation.Kind)
        {
            case OperationKind.Block:
                var block = (IBlockOperation)operation;
                var start = _keys.Count;
                List<(int Id, int Mark)>? disposed = null;
                foreach (var statement in block.Operations)
                {
                    Statement(statement);
                    if (statement is IUsingDeclarationOperation declared)
                    {
                        foreach (var id in DisposedOwners(declared.DeclarationGroup))
                        {
                            if (disposed is null)
                            {
                                // The rest of the block runs inside the declaration's implicit finally.
                                disposed = new();
                                _finallyDepth++;
                            }

                            disposed.Add((id, _jumps.Count));
                        }
                    }
                }

                if (disposed is not null)
                {
                    _finallyDepth--;
                }

                for (var i = (disposed?.Count ?? 0) - 1; i >= 0; i--)
                {
                    // `using var owner = pool.Rent(n);` gives the owner back where the block ends, and on each jump out after it.
                    DisposeAtEnd(disposed![i].Id, disposed[i].Mark);
                }

                ScopeEnds(_state, start);
                AliasesEnd(block.Syntax);
                break;
            case OperationKind.ExpressionStatement:
                _ = Eval(((IExpressionStatementOperation)operation).Operation);
                break;
            case OperationKind.VariableDeclarationGroup:
                foreach (var declaration in ((IVariableDeclarationGroupOperation)operation).Declarations)
                {
                    Declaration(declaration);
                }

                break;
            case OperationKind.Return:
                var returned = (IReturnOperation)operation;
                var value = Eval(returned.ReturnedValue);
                Use(value);
                HandOn(value);
                // The engine places a leak at `return value;` by the value; a bare `return` it may place at an enclosing condition.
                AddJump(JumpKind.Return, null, returned.ReturnedValue is null ? null : returned.Syntax);
                break;
            case OperationKind.Branch when ((IBranchOperation)operation).BranchKind is BranchKind.Break or BranchKind.Continue:
                var branch = (IBranchOperation)operation;
                AddJump(branch.BranchKind == BranchKind.Break ? JumpKind.Break : JumpKind.Continue, branch.Target);
                break;
            case OperationKind.Conditional:
                If((IConditionalOperation)operation);
                break;
            case OperationKind.Loop:
                Loop((ILoopOperation)operation);
                break;
            case OperationKind.Switch:
                Switch((ISwitchOperation)operation);
                break;
            case OperationKind.Try:
                Try((ITryOperation)operation);
                break;
            case OperationKind.Using:
                var @using = (IUsingOperation)operation;
                if (@using.Resources is IVariableDeclarationGroupOperation resources)
                {
                    Statement(resources);
                }
                else
                {
                    NotAliased(Eval(@using.Resources));
                }

                var usingMark = _jumps.Count;
                _finallyDepth++;
                Statement(@using.Body);
                _finallyDepth--;
                if (@using.Resources is IVariableDeclarationGroupOperation owners)
                {
                    foreach (var id in DisposedOwners(owners))
                    {
                        DisposeAtEnd(id, usingMark);
                    }
                }

                break;
            case OperationKind.UsingDeclaration:
                Statement(((IUsingDeclarationOperation)operation).DeclarationGroup);
                break;
            case OperationKind.Lock:
                var @lock = (ILockOperation)operation;
                _ = Eval(@lock.LockedValue);
                Statement(@lock.Body);
                break;
            case OperationKind.LocalFunction:
                var localFunction = (ILocalFunctionOperation)operation;
                // Analysed on its own graph by the engine when it touches pages; the proof leaves such bodies to it.
                if (TouchesPages(localFunction.Syntax, localFunction.Symbol))
                {
                    Fail();
                }

                break;
            case OperationKind.Empty:
                break;
            case OperationKind.Throw:
                // `throw x;` is a statement of its own (a throw expression is an operand).
                _ = Eval(operation);
                break;
            default:
                // goto, labels, yield, stackalloc statements, anything new: the engine decides.
                Fail();
                break;
        }
    }

    private void Declaration(IVariableDeclarationOperation declaration)
    {
        foreach (var declarator in declaration.Declarators)
        {
            var initializer = declarator.Initializer;
            var value = Eval(initializer?.Value);
            if (declarator.Symbol.IsRef && Tracks(declarator.Symbol.Type))
            {
                Fail();
            }
            else if (Tracks(declarator.Symbol.Type))
            {
                AssignLocal(declarator.Symbol, value);
            }
            else
            {
                Bind(declarator.Symbol, value);
            }
        }
    }

    private void If(IConditionalOperation conditional)
    {
        var (whenTrue, whenFalse) = Condition(conditional.Condition);
        _state = whenTrue;
        Statement(conditional.WhenTrue);
        var afterTrue = _state;
        _state = whenFalse;
        Statement(conditional.WhenFalse);
        _state = State.Join(afterTrue, _state);
    }

    private void Loop(ILoopOperation loop)
    {
        IOperation? condition = null;
        var conditionFirst = true;
        switch (loop)
        {
            case IWhileLoopOperation { ConditionIsUntil: false } whileLoop:
                condition = whileLoop.Condition;
                conditionFirst = whileLoop.ConditionIsTop;
                break;
            case IForLoopOperation forLoop:
                foreach (var before in forLoop.Before)
                {
                    Statement(before);
                }

                condition = forLoop.Condition;
                break;
            case IForEachLoopOperation forEach:
                // Enumerating is a use (the engine's GetEnumerator call on it).
                Use(Eval(forEach.Collection));
                break;
            default:
                Fail();
                return;
        }

        var head = _state;
        var loopStart = _keys.Count;
        var mark = _jumps.Count;
        for (var pass = 0; pass < MaxLoopPasses && !_failed; pass++)
        {
            _jumps.RemoveRange(mark, _jumps.Count - mark);
            var exits = State.Dead;
            if (conditionFirst)
            {
                _state = head;
                var (whenTrue, whenFalse) = loop is IForEachLoopOperation ? (_state, _state) : Condition(condition);
                exits = whenFalse;
                _state = whenTrue;
            }
            else
            {
                _state = head;
            }

            if (loop is IForEachLoopOperation forEachLoop)
            {
                LoopVariable(forEachLoop);
            }

            Statement(loop.Body);
            var back = _state;
            for (var i = mark; i < _jumps.Count; i++)
            {
                if (SymbolEqualityComparer.Default.Equals(_jumps[i].Target, loop.ContinueLabel))
                {
                    back = State.Join(back, _jumps[i].State);
                }
                else if (SymbolEqualityComparer.Default.Equals(_jumps[i].Target, loop.ExitLabel))
                {
                    exits = State.Join(exits, _jumps[i].State);
                }
            }

            _state = back;
            if (loop is IForLoopOperation { AtLoopBottom: var atBottom })
            {
                foreach (var step in atBottom)
                {
                    Statement(step);
                }
            }

            if (!conditionFirst)
            {
                var (whenTrue, whenFalse) = Condition(condition);
                exits = State.Join(exits, whenFalse);
                _state = whenTrue;
            }

            // A page made inside the body must be settled before the next pass makes it again.
            ScopeEnds(_state, loopStart, backEdge: true);
            var next = State.Join(head, _state);
            if (next.SameAs(head))
            {
                // Breaks and continues of this loop end here; returns, throws and outer jumps go on.
                KeepJumps(mark, loop.ContinueLabel, loop.ExitLabel);
                _state = exits;
                ScopeEnds(_state, loopStart);
                return;
            }

            head = next;
        }

        Fail();
    }

    /// <summary>Drops the jumps from <paramref name="mark"/> on that target either label; the others stay, in order.</summary>
    private void KeepJumps(int mark, ILabelSymbol? first, ILabelSymbol? second)
    {
        var kept = mark;
        for (var i = mark; i < _jumps.Count; i++)
        {
            var target = _jumps[i].Target;
            if (target is null || !(SymbolEqualityComparer.Default.Equals(target, first) || SymbolEqualityComparer.Default.Equals(target, second)))
            {
                _jumps[kept++] = _jumps[i];
            }
        }

        _jumps.RemoveRange(kept, _jumps.Count - kept);
    }

    private void LoopVariable(IForEachLoopOperation loop)
    {
        if (loop.LoopControlVariable is IVariableDeclaratorOperation { Symbol: { } local } && _known.IsPage(local.Type))
        {
            // Each element is borrowed from the collection; a cleared slot of any name could make it owned.
            var id = Variable(local);
            if (Has(_state.Get(id), Mask.Owned))
            {
                Fail();
            }

            Mark(id, Mask.Borrowed | Mask.Null, null, AnySlot);
        }
        else if (loop.LoopControlVariable is not IVariableDeclaratorOperation || MentionsPage(loop.Collection))
        {
            // A deconstruction, an existing variable, or pages seen through another type (an alias the proof does not follow).
            Fail();
        }
    }

    private void Switch(ISwitchOperation @switch)
    {
        var value = Eval(@switch.Value);
        if (value.Id >= 0)
        {
            Fail();
            return;
        }

        var start = _keys.Count;
        var entry = _state;
        var mark = _jumps.Count;
        var ends = State.Dead;
        var hasDefault = false;
        foreach (var section in @switch.Cases)
        {
            _state = entry;
            foreach (var clause in section.Clauses)
            {
                switch (clause)
                {
                    case IDefaultCaseClauseOperation:
                        hasDefault = true;
                        break;
                    case IPatternCaseClauseOperation pattern:
                        if (pattern.Label is null && pattern.Guard is null && pattern.Pattern is IDiscardPatternOperation)
                        {
                            hasDefault = true;
                        }

                        if (DeclaresPage(pattern.Pattern))
                        {
                            Fail();
                        }

                        _ = Eval(pattern.Guard);
                        break;
                    case ISingleValueCaseClauseOperation single:
                        _ = Eval(single.Value);
                        break;
                    default:
                        Fail();
                        break;
                }
            }

            foreach (var statement in section.Body)
            {
                Statement(statement);
            }

            ends = State.Join(ends, _state);
        }

        if (!hasDefault)
        {
            ends = State.Join(ends, entry);
        }

        for (var i = mark; i < _jumps.Count; i++)
        {
            if (SymbolEqualityComparer.Default.Equals(_jumps[i].Target, @switch.ExitLabel))
            {
                ends = State.Join(ends, _jumps[i].State);
            }
        }

        KeepJumps(mark, @switch.ExitLabel, null);
        _state = ends;
        ScopeEnds(_state, start);
    }

    private void Try(ITryOperation @try)
    {
        if (@try.ExitLabel is not null)
        {
            Fail();
            return;
        }

        var entry = _state;
        var mark = _jumps.Count;
        var hasCatch = !@try.Catches.IsEmpty;
        if (hasCatch)
        {
            _tryCatchDepth++;
        }

        if (@try.Finally is not null)
        {
            _finallyDepth++;
        }

        Statement(@try.Body);

        if (hasCatch)
        {
            _tryCatchDepth--;
        }

        var ends = _state;

        // Implicit exceptions are not exits for the engine: a handler starts from the state the try began with.
        foreach (var handler in @try.Catches)
        {
            _state = entry;
            if (handler.ExceptionDeclarationOrExpression is IVariableDeclaratorOperation or null)
            {
                _ = Eval(handler.Filter);
                Statement(handler.Handler);
            }
            else
            {
                Fail();
            }

            ends = State.Join(ends, _state);
        }

        if (@try.Finally is not { } @finally)
        {
            _state = ends;
            return;
        }

        _finallyDepth--;

        // The finally runs on every way out of the try: each jump that leaves it, and last its normal end.
        for (var i = mark; i < _jumps.Count && !_failed; i++)
        {
            _jumps[i] = _jumps[i].With(Finally(@finally, _jumps[i].State));
        }

        _state = Finally(@finally, ends);
    }

    private State Finally(IBlockOperation @finally, State state)
    {
        if (state.Unreachable)
        {
            return state;
        }

        var mark = _jumps.Count;
        _state = state;
        Statement(@finally);
        if (_jumps.Count > mark)
        {
            // A jump out of a finally block.
            Fail();
            _jumps.RemoveRange(mark, _jumps.Count - mark);
        }

        return _state;
    }

    /// <summary>The tracked IMemoryOwner variables a using declares: its end gives them back (MemoryPool's contract).</summary>
    private List<int> DisposedOwners(IVariableDeclarationGroupOperation group)
    {
        var ids = new List<int>();
        if (!_rentals)
        {
            return ids;
        }

        foreach (var declaration in group.Declarations)
        {
            foreach (var declarator in declaration.Declarators)
            {
                if (_known.NetPools!.IsMemoryOwner(declarator.Symbol.Type) && IdOf(declarator.Symbol) is var id and >= 0)
                {
                    ids.Add(id);
                }
            }
        }

        return ids;
    }

    /// <summary>The owner's Dispose at the end of a using: on the normal end and on every jump out of it since <paramref name="mark"/>.</summary>
    private void DisposeAtEnd(int id, int mark)
    {
        if (Has(_state.Get(id), Mask.HandedOn) || _jumps.Skip(mark).Any(j => Has(j.State.Get(id), Mask.HandedOn)))
        {
            // Returned or stored from inside the using: the engine may report it escaping (PP0103).
            Fail();
            return;
        }

        for (var i = mark; i < _jumps.Count && !_failed; i++)
        {
            var saved = _state;
            _state = _jumps[i].State;
            if (!_state.Unreachable)
            {
                Release(new Value(id), Mask.Gone, null, dropped: false);
            }

            _jumps[i] = _jumps[i].With(_state);
            _state = saved;
        }

        if (!_state.Unreachable)
        {
            Release(new Value(id), Mask.Gone, null, dropped: false);
        }
    }

    private void AddJump(JumpKind kind, ILabelSymbol? target, SyntaxNode? at = null)
    {
        if (kind == JumpKind.Throw && _tryCatchDepth > 0)
        {
            // An explicit throw into a handler: the engine joins it into the handler's start state.
            Fail();
        }

        if (kind is JumpKind.Return or JumpKind.Throw && _finallyDepth == 0 && !_reportLeaks && !NothingOwned(_state, 0))
        {
            // This exit's state only grows from here (loops join, no finally runs on it): the body leaks, so the proof
            // cannot hold and walking on would be wasted (the leak-heavy code base's first leaking return).
            Fail();
        }

        // Only an exit outside every try can be named: a finally or handler changes the state on the way out.
        _jumps.Add(new Jump(kind, target, _state, _finallyDepth == 0 && _tryCatchDepth == 0 ? at : null));
        _state = State.Dead;
    }

    /// <summary>
    /// Pages made in a scope must be settled where it ends; when leaks are reported, one still owned there leaks at every
    /// exit it reaches, as the engine keeps it, except at a loop's back edge (<paramref name="backEdge"/>), where the
    /// engine names the loop's next allocation instead.
    /// </summary>
    private void ScopeEnds(State state, int firstId, bool backEdge = false)
    {
        if (!NothingOwned(state, firstId) && (backEdge || !_reportLeaks))
        {
            Fail();
        }
    }

    private static bool NothingOwned(State state, int firstId) => !state.AnyOwned(firstId);
}
