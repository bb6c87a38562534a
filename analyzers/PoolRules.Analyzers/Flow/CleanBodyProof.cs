using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using static PoolRules.Analyzers.Flow.NullTests;

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
internal sealed class CleanBodyProof
{
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
    private readonly List<Jump> _jumps = new();
    private State _state;
    private int _visits;
    private int _tryCatchDepth;
    private bool _failed;

    private CleanBodyProof(KnownSymbols known)
    {
        _known = known;
    }

    /// <summary>True only when the engine, run on <paramref name="body"/>, would report nothing.</summary>
    public static bool Holds(KnownSymbols known, IOperation body, IMethodSymbol? owner)
    {
        var block = body switch
        {
            IMethodBodyOperation method => (IOperation?)method.BlockBody ?? method.ExpressionBody,
            IConstructorBodyOperation { Initializer: null } constructor => constructor.BlockBody,
            IBlockOperation => body,
            _ => null,
        };
        if (block is null || owner is null)
        {
            return false;
        }

        // Iterators fail on their first yield.
        var proof = s_spare ?? new CleanBodyProof(known);
        s_spare = null;
        try
        {
            proof.Reset(known);
            return proof.Prove(block, owner);
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
        _jumps.Clear();
        _state = new State();
        _visits = 0;
        _tryCatchDepth = 0;
        _failed = false;
    }

    private bool Prove(IOperation block, IMethodSymbol owner)
    {
        foreach (var parameter in owner.Parameters)
        {
            if (parameter.RefKind != RefKind.Out && _known.IsPage(parameter.Type))
            {
                if (_known.TakesOwnership(parameter))
                {
                    return false;
                }

                var id = Variable(parameter);
                _state.Set(id, Mask.Borrowed | Mask.Null);
            }
        }

        Statement(block);
        if (_failed)
        {
            return false;
        }

        foreach (var jump in _jumps)
        {
            if (jump.Kind is not (JumpKind.Return or JumpKind.Throw) || !NothingOwned(jump.State, 0))
            {
                return false;
            }
        }

        return NothingOwned(_state, 0) && !_failed;
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
                foreach (var statement in block.Operations)
                {
                    Statement(statement);
                }

                ScopeEnds(_state, start);
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
                AddJump(JumpKind.Return, null);
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

                Statement(@using.Body);
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
            if (declarator.Symbol.IsRef && _known.IsPage(declarator.Symbol.Type))
            {
                Fail();
            }
            else if (_known.IsPage(declarator.Symbol.Type))
            {
                AssignLocal(declarator.Symbol, value);
            }
            else
            {
                NotAliased(value);
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
                _ = Eval(forEach.Collection);
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
            ScopeEnds(_state, loopStart);
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

    private void AddJump(JumpKind kind, ILabelSymbol? target)
    {
        if (kind == JumpKind.Throw && _tryCatchDepth > 0)
        {
            // An explicit throw into a handler: the engine joins it into the handler's start state.
            Fail();
        }

        _jumps.Add(new Jump(kind, target, _state));
        _state = State.Dead;
    }

    private void ScopeEnds(State state, int firstId)
    {
        if (!NothingOwned(state, firstId))
        {
            Fail();
        }
    }

    private static bool NothingOwned(State state, int firstId) => !state.AnyOwned(firstId);

    // ---- conditions ----------------------------------------------------------------------------------------------

    /// <summary>The states after a condition when it is true and when it is false, refined on null tests of pages.</summary>
    private (State WhenTrue, State WhenFalse) Condition(IOperation? condition)
    {
        switch (condition)
        {
            case null:
                return (_state, State.Dead);
            case IConversionOperation conversion:
                return Condition(conversion.Operand);
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                var (t, f) = Condition(not.Operand);
                return (f, t);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } and:
                var (leftTrue, leftFalse) = Condition(and.LeftOperand);
                _state = leftTrue;
                var (rightTrue, rightFalse) = Condition(and.RightOperand);
                return (rightTrue, State.Join(leftFalse, rightFalse));
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } or:
                var (orLeftTrue, orLeftFalse) = Condition(or.LeftOperand);
                _state = orLeftFalse;
                var (orRightTrue, orRightFalse) = Condition(or.RightOperand);
                return (State.Join(orLeftTrue, orRightTrue), orRightFalse);
            case IBinaryOperation binary when NullComparand(binary) is { } tested:
                var id = Eval(tested).Id;
                var equals = binary.OperatorKind == BinaryOperatorKind.Equals;
                return Refine(id, equals ? Nullness.Null : Nullness.NotNull, equals ? Nullness.NotNull : Nullness.Null);
            case IIsPatternOperation pattern:
                var valueId = Eval(pattern.Value).Id;
                if (DeclaresPage(pattern.Pattern) || (valueId >= 0 && DeclaresAny(pattern.Pattern)))
                {
                    // Binding the tested page to a pattern variable is an alias.
                    Fail();
                }

                var (whenTrue, whenFalse) = PatternNullness(pattern.Pattern);
                return Refine(valueId, whenTrue, whenFalse);
            default:
                _ = Eval(condition);
                return (_state, _state);
        }
    }

    private (State WhenTrue, State WhenFalse) Refine(int id, Nullness whenTrue, Nullness whenFalse)
    {
        var trueState = _state;
        var falseState = _state;
        if (id >= 0)
        {
            Narrow(ref trueState, id, whenTrue);
            Narrow(ref falseState, id, whenFalse);
        }

        return (trueState, falseState);
    }

    private static void Narrow(ref State state, int id, Nullness nullness)
    {
        var mask = state.Get(id);
        switch (nullness)
        {
            case Nullness.Null:
                state.Set(id, mask & Mask.Null);
                break;
            case Nullness.NotNull:
                state.Set(id, mask & ~Mask.Null);
                break;
        }
    }

    private bool DeclaresPage(IOperation? pattern) => Declared(pattern, local => _known.IsPage(local.Type));

    private static bool DeclaresAny(IOperation? pattern) => Declared(pattern, static _ => true);

    private static bool Declared(IOperation? pattern, Func<ILocalSymbol, bool> which)
    {
        if (pattern is null)
        {
            return false;
        }

        foreach (var node in pattern.DescendantsAndSelf())
        {
            var declared = node switch
            {
                IDeclarationPatternOperation declaration => declaration.DeclaredSymbol,
                IRecursivePatternOperation recursive => recursive.DeclaredSymbol,
                IListPatternOperation list => list.DeclaredSymbol,
                _ => null,
            };
            if (declared is ILocalSymbol local && which(local))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Pages behind an array or a generic collection of them.</summary>
    private bool MentionsPage(IOperation operation)
    {
        var type = (operation is IConversionOperation conversion ? conversion.Operand : operation).Type;
        return type switch
        {
            IArrayTypeSymbol array => _known.IsPage(array.ElementType),
            INamedTypeSymbol named => named.TypeArguments.Any(_known.IsPage),
            _ => false,
        };
    }

    /// <summary>A page stored in a variable of another type (object, an interface) is an alias the proof does not follow.</summary>
    private void NotAliased(Value value)
    {
        if (value.Id >= 0)
        {
            Fail();
        }
    }

    // ---- expressions ---------------------------------------------------------------------------------------------

    private Value Eval(IOperation? operation)
    {
        if (operation is null || _failed)
        {
            return Value.None;
        }

        if (++_visits > MaxVisits)
        {
            Fail();
            return Value.None;
        }

        if ((int)operation.Kind >= Modelled.Length || !Modelled[(int)operation.Kind])
        {
            // Most operations (arithmetic, literals, comparisons) only pass their children's effects on; the type
            // switch below would test each of them against every case first.
            return Children(operation);
        }

        switch (operation)
        {
            case ILocalReferenceOperation local:
                return _known.IsPage(local.Local.Type) ? new Value(Variable(local.Local)) : Value.None;
            case IParameterReferenceOperation parameter:
                return _known.IsPage(parameter.Parameter.Type) && IdOf(parameter.Parameter) is var parameterId and >= 0
                    ? new Value(parameterId)
                    : Value.None;
            case IConversionOperation conversion:
                return Eval(conversion.Operand);
            case IParenthesizedOperation parenthesized:
                return Eval(parenthesized.Operand);
            case ILiteralOperation or IDefaultValueOperation:
                return Value.None;
            case ISimpleAssignmentOperation assignment:
                return Assign(assignment);
            case IInvocationOperation invocation:
                return Invoke(invocation);
            case IObjectCreationOperation creation:
                PassArguments(creation.Constructor, creation.Arguments, EvalArguments(creation.Arguments), null);
                _ = Eval(creation.Initializer);
                return Value.None;
            case IIsPatternOperation or IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr }:
                // A condition used as a value: both outcomes flow on.
                var (whenTrue, whenFalse) = Condition(operation);
                _state = State.Join(whenTrue, whenFalse);
                return Value.None;
            case IBinaryOperation binary when NullComparand(binary) is { } tested:
                Eval(tested);
                return Value.None;
            case IFieldReferenceOperation field:
                UseInstance(field.Instance);
                return Read(field);
            case IPropertyReferenceOperation property:
                UseInstance(property.Instance);
                foreach (var argument in property.Arguments)
                {
                    _ = Eval(argument.Value);
                }

                return Read(property);
            case IArrayElementReferenceOperation element:
                _ = Eval(element.ArrayReference);
                foreach (var index in element.Indices)
                {
                    _ = Eval(index);
                }

                return Read(element);
            case IArrayCreationOperation or IArrayInitializerOperation or ITupleOperation or IAnonymousObjectCreationOperation:
                // A page put into a new array, tuple or anonymous object travels with it.
                foreach (var child in operation.ChildOperations)
                {
                    var value = Eval(child);
                    Use(value);
                    HandOn(value);
                }

                return Value.None;
            case IAnonymousFunctionOperation or IDelegateCreationOperation:
                if (Lambda(operation) is { } lambda && TouchesPages(lambda.Syntax, lambda.Symbol))
                {
                    Fail();
                }

                return Value.None;
            case IConditionalAccessOperation access:
                return ConditionalAccess(access);
            case IConditionalAccessInstanceOperation:
                return _receivers.Count > 0 ? _receivers.Peek() : Fail();
            case IConditionalOperation conditional:
                return Branches(conditional);
            case ICoalesceOperation coalesce:
                return Coalesce(coalesce);
            case ISwitchExpressionOperation switchExpression:
                return SwitchExpression(switchExpression);
            case IThrowOperation thrown:
                _ = Eval(thrown.Exception);
                AddJump(JumpKind.Throw, null);
                return Value.None;
            case ICoalesceAssignmentOperation coalesceAssignment when !_known.IsPage(coalesceAssignment.Type):
                // `x ??= y`: y runs only on some paths.
                _ = Eval(coalesceAssignment.Target);
                var notAssigned = _state;
                _ = Eval(coalesceAssignment.Value);
                _state = State.Join(_state, notAssigned);
                return Value.None;
            case IDeconstructionAssignmentOperation or IDynamicInvocationOperation or IDynamicMemberReferenceOperation
                or IInterpolatedStringHandlerCreationOperation { HandlerAppendCallsReturnBool: true }:
                // Aliases the proof does not follow, or holes a handler may skip.
                return Fail();
            default:
                return Children(operation);
        }
    }

    private Value Children(IOperation operation)
    {
        if (operation.Type is { SpecialType: SpecialType.None } type && _known.IsPage(type))
        {
            // A page-valued operation of a kind the proof does not model (ref locals, with expressions…).
            return Fail();
        }

        foreach (var child in operation.ChildOperations)
        {
            _ = Eval(child);
        }

        return Value.None;
    }

    /// <summary>The operation kinds <see cref="Eval"/> handles itself; every other kind is <see cref="Children"/>.</summary>
    private static readonly bool[] Modelled = ModelledKinds(
        OperationKind.LocalReference, OperationKind.ParameterReference, OperationKind.Conversion, OperationKind.Parenthesized,
        OperationKind.Literal, OperationKind.DefaultValue, OperationKind.SimpleAssignment, OperationKind.Invocation,
        OperationKind.ObjectCreation, OperationKind.IsPattern, OperationKind.Binary, OperationKind.FieldReference,
        OperationKind.PropertyReference, OperationKind.ArrayElementReference, OperationKind.ArrayCreation,
        OperationKind.ArrayInitializer, OperationKind.Tuple, OperationKind.AnonymousObjectCreation,
        OperationKind.AnonymousFunction, OperationKind.DelegateCreation, OperationKind.ConditionalAccess,
        OperationKind.ConditionalAccessInstance, OperationKind.Conditional, OperationKind.Coalesce,
        OperationKind.SwitchExpression, OperationKind.Throw, OperationKind.CoalesceAssignment,
        OperationKind.DeconstructionAssignment, OperationKind.DynamicInvocation, OperationKind.DynamicMemberReference,
        OperationKind.InterpolatedStringHandlerCreation);

    private static bool[] ModelledKinds(params OperationKind[] kinds)
    {
        var table = new bool[kinds.Max(k => (int)k) + 1];
        foreach (var kind in kinds)
        {
            table[(int)kind] = true;
        }

        return table;
    }

    private static IAnonymousFunctionOperation? Lambda(IOperation operation) => operation switch
    {
        IAnonymousFunctionOperation lambda => lambda,
        IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } => lambda,
        _ => null,
    };

    private bool TouchesPages(SyntaxNode syntax, IMethodSymbol symbol)
    {
        if (PageFlowCache.MayInvolvePages(syntax))
        {
            return true;
        }

        foreach (var parameter in symbol.Parameters)
        {
            if (_known.TakesOwnership(parameter))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>`a?.b`: b runs only when a is not null, with a known not null there.</summary>
    private Value ConditionalAccess(IConditionalAccessOperation access)
    {
        if (_known.IsPage(access.Type))
        {
            return Fail();
        }

        var receiver = Eval(access.Operation);
        var whenNull = _state;
        if (receiver.Id >= 0)
        {
            Narrow(ref whenNull, receiver.Id, Nullness.Null);
            Narrow(ref _state, receiver.Id, Nullness.NotNull);
        }

        _receivers.Push(receiver);
        _ = Eval(access.WhenNotNull);
        _receivers.Pop();
        _state = State.Join(_state, whenNull);
        return Value.None;
    }

    private Value Branches(IConditionalOperation conditional)
    {
        if (_known.IsPage(conditional.Type))
        {
            return Fail();
        }

        var (whenTrue, whenFalse) = Condition(conditional.Condition);
        _state = whenTrue;
        _ = Eval(conditional.WhenTrue);
        var afterTrue = _state;
        _state = whenFalse;
        _ = Eval(conditional.WhenFalse);
        _state = State.Join(afterTrue, _state);
        return Value.None;
    }

    private Value Coalesce(ICoalesceOperation coalesce)
    {
        if (_known.IsPage(coalesce.Type) || _known.IsPage(coalesce.Value.Type))
        {
            return Fail();
        }

        _ = Eval(coalesce.Value);
        var skipped = _state;
        _ = Eval(coalesce.WhenNull);
        _state = State.Join(_state, skipped);
        return Value.None;
    }

    private Value SwitchExpression(ISwitchExpressionOperation switchExpression)
    {
        if (_known.IsPage(switchExpression.Type) || Eval(switchExpression.Value).Id >= 0)
        {
            return Fail();
        }

        var entry = _state;
        var ends = State.Dead;
        foreach (var arm in switchExpression.Arms)
        {
            _state = entry;
            if (DeclaresPage(arm.Pattern))
            {
                return Fail();
            }

            _ = Eval(arm.Guard);
            _ = Eval(arm.Value);
            ends = State.Join(ends, _state);
        }

        _state = ends;
        return Value.None;
    }

    /// <summary>A page read out of a field, property or array slot: borrowed, unless the method later clears the slot.</summary>
    private Value Read(IOperation slot)
    {
        if (!_known.IsPage(slot.Type))
        {
            return Value.None;
        }

        return NewTemp(slot, Mask.Borrowed | Mask.Null, null, PageFlowRun.SlotKey(slot));
    }

    private Value NewTemp(IOperation at, Mask mask, object? pool, string? slot)
    {
        var id = _keys.IndexOf(at);
        if (id < 0)
        {
            id = NewId(at);
        }
        else if (Has(_state.Get(id), Mask.Owned))
        {
            // The same operation runs again (a loop) while its previous page is still owned.
            return Fail();
        }

        Mark(id, mask, pool, slot);
        return new Value(id);
    }

    private Value Assign(ISimpleAssignmentOperation assignment)
    {
        var target = assignment.Target;
        EvalTargetParts(target);
        var value = Eval(assignment.Value);
        switch (target)
        {
            case ILocalReferenceOperation { Local.IsRef: false } local:
                if (_known.IsPage(local.Local.Type))
                {
                    // `(page = pool.AllocPages()) is null` tests the variable.
                    return AssignLocal(local.Local, value);
                }

                break;
            case IParameterReferenceOperation { Parameter.RefKind: RefKind.None } parameter:
                if (_known.IsPage(parameter.Parameter.Type))
                {
                    return AssignLocal(parameter.Parameter, value);
                }

                break;
            case IDiscardOperation:
                break;
            case IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation:
                Use(value);
                HandOn(value);
                TakeFromSlot(PageFlowRun.SlotKey(target));
                return Value.None;
            default:
                // out/ref parameters, ref locals, events: the page outlives this method.
                Use(value);
                HandOn(value);
                return Value.None;
        }

        NotAliased(value);
        return Value.None;
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
                    _ = Eval(argument.Value);
                }

                break;
            case IArrayElementReferenceOperation element:
                _ = Eval(element.ArrayReference);
                foreach (var index in element.Indices)
                {
                    _ = Eval(index);
                }

                break;
        }
    }

    /// <summary>A page variable takes over the page a temp stands for; a copy of another variable is an alias the proof leaves to the engine.</summary>
    private Value AssignLocal(ISymbol symbol, Value value)
    {
        var id = Variable(symbol);
        if (Has(_state.Get(id), Mask.Owned) || (value.Id >= 0 && _keys[value.Id] is not IOperation))
        {
            // An overwrite of an owned page, or a copy of another variable.
            return Fail();
        }

        if (value.Id >= 0)
        {
            Mark(id, _state.Get(value.Id), _pools[value.Id], _slots[value.Id]);
            _state.Set(value.Id, Mask.None);
        }
        else
        {
            _state.Set(id, Mask.None);
        }

        return new Value(id);
    }

    private Value Invoke(IInvocationOperation invocation)
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
                    return NewTemp(invocation, Mask.Owned | Mask.Null, invocation.Instance, null);
                case "PutPage" or "PutFullPage" or "RecycleDirect":
                    Release(PageArgument(invocation.Arguments, args), Mask.Gone, invocation.Instance, dropped: false);
                    return Value.None;
                case "ReleasePage":
                    Release(PageArgument(invocation.Arguments, args), Mask.Released, invocation.Instance, dropped: false);
                    return Value.None;
            }

            UseArguments(args);
            return Value.None;
        }

        if (invocation.Instance is not null && _known.IsPage(method.ContainingType))
        {
            if (method.Name == "Put" && method.Parameters.Length == 0)
            {
                Release(instance, Mask.Gone, null, dropped: true);
            }
            else if (method.Name == "Get" && method.Parameters.Length == 0)
            {
                return Fail();
            }
            else
            {
                Use(instance);
            }

            UseArguments(args);
            return Value.None;
        }

        if (method.Name == "Exchange" && _known.IsPage(method.ReturnType))
        {
            return Fail();
        }

        Use(instance);
        if (method.MethodKind == MethodKind.LocalFunction)
        {
            // Its summary needs the graph that declares it, and a page it captures is handed to it.
            foreach (var value in args)
            {
                if (value.Id >= 0)
                {
                    return Fail();
                }
            }

            if (_known.IsPage(method.ReturnType))
            {
                return Fail();
            }
        }

        PassArguments(method, invocation.Arguments, args, invocation.Instance);
        if (!_known.IsPage(method.ReturnType))
        {
            return Value.None;
        }

        var owned = _known.Flow.ReturnsOwnedPage(method, null);
        return NewTemp(invocation, owned ? Mask.Owned | Mask.Null : Mask.Borrowed | Mask.Null, owned ? NoPool : null, null);
    }

    private Value[] EvalArguments(ImmutableArray<IArgumentOperation> arguments)
    {
        if (arguments.IsEmpty)
        {
            return Array.Empty<Value>();
        }

        var values = new Value[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            var argument = arguments[i];
            if (argument.Parameter?.RefKind is RefKind.Out
                || (argument.Parameter?.RefKind is RefKind.Ref && argument.Value is IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation))
            {
                EvalTargetParts(argument.Value);
                values[i] = Value.None;
            }
            else
            {
                values[i] = Eval(argument.Value);
            }
        }

        return values;
    }

    private static Value PageArgument(ImmutableArray<IArgumentOperation> arguments, Value[] values) =>
        PageFlowRun.PageArgumentIndex(arguments) is var index and >= 0 ? values[index] : Value.None;

    private void UseArguments(Value[] values)
    {
        foreach (var value in values)
        {
            Use(value);
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
                    case ILocalReferenceOperation local when _known.IsPage(local.Local.Type):
                        AssignLocal(local.Local, Value.None);
                        break;
                    case IParameterReferenceOperation parameter when _known.IsPage(parameter.Parameter.Type):
                        AssignLocal(parameter.Parameter, Value.None);
                        break;
                }
            }
        }
    }

    private void PassArguments(IMethodSymbol? method, ImmutableArray<IArgumentOperation> arguments, Value[] values, IOperation? instance)
    {
        for (var i = 0; i < arguments.Length; i++)
        {
            var value = values[i];
            if (value.Id < 0 || arguments[i].Parameter is not { } parameter || method is null)
            {
                continue;
            }

            Use(value);
            if (parameter.RefKind == RefKind.Ref || _known.TakesOwnership(parameter) || _known.StoresPages(method, instance))
            {
                HandOn(value);
                continue;
            }

            switch (_known.Flow.Summary(method, parameter.Ordinal, null))
            {
                case ParameterSummary.Consumes:
                    HandOn(value);
                    break;
                case ParameterSummary.Puts:
                    Release(value, Mask.Gone, null, dropped: false);
                    break;
            }
        }

        ClearOutArguments(arguments);
    }

    // ---- page transitions ----------------------------------------------------------------------------------------

    private void UseInstance(IOperation? instance) => Use(Eval(instance));

    private void Use(Value value)
    {
        // The engine reports a use only when every state is put or dropped; any such state is enough to give up.
        if (value.Id >= 0 && Has(_state.Get(value.Id), Mask.Gone))
        {
            Fail();
        }
    }

    private void HandOn(Value value)
    {
        if (value.Id >= 0)
        {
            var mask = _state.Get(value.Id);
            if (Has(mask, Mask.Owned))
            {
                _state.Set(value.Id, (mask & ~Mask.Owned) | Mask.HandedOn);
            }
        }
    }

    private void Release(Value value, Mask now, IOperation? pool, bool dropped)
    {
        if (value.Id < 0)
        {
            return;
        }

        var mask = _state.Get(value.Id);
        if (Has(mask, Mask.Gone) || (Has(mask, Mask.Released) && !dropped))
        {
            // A second put, or a put after a release: PP0002 (Page.Put() after ReleasePage is the correct drop).
            Fail();
            return;
        }

        if (pool is not null && Has(mask, Mask.Owned) && _pools[value.Id] is { } from && !ReferenceEquals(from, NoPool)
            && (ReferenceEquals(from, MixedPools) || !SamePool((IOperation)from, pool, orUnnamed: true)))
        {
            Fail();
            return;
        }

        _state.Set(value.Id, now);
    }

    /// <summary>The drain idiom: a page read from a slot that is then overwritten belongs to this method from the read on.</summary>
    private void TakeFromSlot(string? key)
    {
        if (key is null)
        {
            return;
        }

        for (var id = 0; id < _keys.Count; id++)
        {
            var mask = _state.Get(id);
            if (Has(mask, Mask.Borrowed) && _slots[id] is { } slot && (slot == key || ReferenceEquals(slot, AnySlot)))
            {
                Mark(id, (mask & ~Mask.Borrowed) | Mask.Owned, NoPool, null);
            }
        }
    }

    private int Variable(ISymbol symbol)
    {
        var id = IdOf(symbol);
        return id >= 0 ? id : NewId(symbol);
    }

    private int IdOf(ISymbol symbol)
    {
        for (var id = 0; id < _keys.Count; id++)
        {
            if (_keys[id] is ISymbol known && SymbolEqualityComparer.Default.Equals(known, symbol))
            {
                return id;
            }
        }

        return -1;
    }

    private int NewId(object key)
    {
        if (_keys.Count >= MaxTracked)
        {
            Fail();
        }

        _keys.Add(key);
        _pools.Add(null);
        _slots.Add(null);
        return _keys.Count - 1;
    }

    /// <summary>Sets a page's state on this path and merges its pool and slot into the body-wide ones.</summary>
    private void Mark(int id, Mask mask, object? pool, string? slot)
    {
        _state.Set(id, mask);
        var known = _pools[id];
        _pools[id] = known is null ? pool
            : pool is null || ReferenceEquals(known, pool) ? known
            : known is IOperation a && pool is IOperation b && SamePool(a, b, orUnnamed: false) ? known
            : MixedPools;
        _slots[id] = Merge(_slots[id], slot, AnySlot);
    }

    /// <summary>
    /// Whether two pool receivers name the same pool as PP0008 keys them. The usual `_pool` field of this object is
    /// answered without building keys; <paramref name="orUnnamed"/> also accepts a receiver with no key (no check).
    /// </summary>
    private bool SamePool(IOperation a, IOperation b, bool orUnnamed)
    {
        if (a is IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } fieldA
            && b is IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } fieldB
            && SymbolEqualityComparer.Default.Equals(fieldA.Field, fieldB.Field))
        {
            return true;
        }

        var keyA = PoolKeys.Of(a, _known)?.Key;
        var keyB = PoolKeys.Of(b, _known)?.Key;
        return keyA is null || keyB is null ? orUnnamed : keyA == keyB;
    }

    private static string? Merge(string? known, string? added, string conflict) =>
        added is null || known == added ? known : known is null ? added : conflict;

    private Value Fail()
    {
        _failed = true;
        _state = State.Dead;
        return Value.None;
    }

    private static bool Has(Mask mask, Mask flag) => (mask & flag) != 0;

    // ---- lattice -------------------------------------------------------------------------------------------------

    /// <summary>Pool of a page whose pool is unknown (no PP0008 check can fire for it).</summary>
    private static readonly object NoPool = new();

    /// <summary>Pool of a page that came from different pools on different paths: any put to a named pool gives up.</summary>
    private static readonly object MixedPools = new();

    /// <summary>Slot key of a page that may come from any slot: clearing any slot may make it owned.</summary>
    private static readonly string AnySlot = new('\u0002', 1);

    [Flags]
    private enum Mask : byte
    {
        None = 0,
        Null = 1,
        Owned = 2,
        Borrowed = 4,

        /// <summary>Put back to the pool or dropped with Page.Put().</summary>
        Gone = 8,
        Released = 16,
        HandedOn = 32,
    }

    private enum JumpKind
    {
        Return,
        Throw,
        Break,
        Continue,
    }

    private readonly struct Value
    {
        public static readonly Value None = new(-1);

        public Value(int id)
        {
            Id = id;
        }

        /// <summary>The tracked page this value is, or negative for none.</summary>
        public int Id { get; }
    }

    private readonly struct Jump
    {
        public Jump(JumpKind kind, ILabelSymbol? target, State state)
        {
            Kind = kind;
            Target = target;
            State = state;
        }

        public JumpKind Kind { get; }

        public ILabelSymbol? Target { get; }

        public State State { get; }

        public Jump With(State state) => new(Kind, Target, state);
    }

    /// <summary>One program point: the possible states of every tracked page, a byte per id; unreachable after a jump.</summary>
    private struct State
    {
        private ulong _low;
        private ulong _high;

        public static State Dead => new() { Unreachable = true };

        public bool Unreachable { get; private set; }

        public readonly Mask Get(int id) => (Mask)(byte)((id < 8 ? _low : _high) >> ((id & 7) * 8));

        public void Set(int id, Mask mask)
        {
            if (Unreachable)
            {
                return;
            }

            var shift = (id & 7) * 8;
            var bits = (ulong)(byte)mask << shift;
            var keep = ~(0xFFUL << shift);
            if (id < 8)
            {
                _low = (_low & keep) | bits;
            }
            else
            {
                _high = (_high & keep) | bits;
            }
        }

        public readonly bool AnyOwned(int firstId)
        {
            if (Unreachable)
            {
                return false;
            }

            for (var id = firstId; id < MaxTracked; id++)
            {
                if ((Get(id) & Mask.Owned) != 0)
                {
                    return true;
                }
            }

            return false;
        }

        public readonly bool SameAs(State other) => Unreachable == other.Unreachable && _low == other._low && _high == other._high;

        public static State Join(State a, State b) =>
            a.Unreachable ? b : b.Unreachable ? a : new State { _low = a._low | b._low, _high = a._high | b._high };
    }
}
