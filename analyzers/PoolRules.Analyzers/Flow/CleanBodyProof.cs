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
internal sealed class CleanBodyProof
{
    // Operations visited before the proof gives up on a body (nested loops re-walk their bodies).
    private const int MaxVisits = 20000;

    // A loop whose state has not settled after this many passes goes to the engine.
    private const int MaxLoopPasses = 4;

    // One proof per thread, cleared between bodies: most bodies are small and their dictionaries would be most of the garbage.
    [ThreadStatic]
    private static CleanBodyProof? s_spare;

    private KnownSymbols _known;
    private readonly Dictionary<ISymbol, int> _variables = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IOperation, int> _temps = new();
    private readonly Stack<Value> _receivers = new();
    private List<Jump> _jumps = new();
    private State _state = new();
    private int _count;
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
        _variables.Clear();
        _temps.Clear();
        _receivers.Clear();
        _jumps.Clear();
        _state = new State();
        _count = 0;
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
                _state.Set(id, new Entry(Mask.Borrowed | Mask.Null, null, null));
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

        switch (operation)
        {
            case IBlockOperation block:
                var start = _count;
                foreach (var statement in block.Operations)
                {
                    Statement(statement);
                }

                ScopeEnds(_state, start);
                break;
            case IExpressionStatementOperation expression:
                _ = Eval(expression.Operation);
                break;
            case IVariableDeclarationGroupOperation group:
                foreach (var declaration in group.Declarations)
                {
                    Declaration(declaration);
                }

                break;
            case IReturnOperation { Kind: OperationKind.Return } returned:
                var value = Eval(returned.ReturnedValue);
                Use(value);
                HandOn(value);
                AddJump(JumpKind.Return, null);
                break;
            case IBranchOperation { BranchKind: BranchKind.Break or BranchKind.Continue } branch:
                AddJump(branch.BranchKind == BranchKind.Break ? JumpKind.Break : JumpKind.Continue, branch.Target);
                break;
            case IConditionalOperation conditional:
                If(conditional);
                break;
            case ILoopOperation loop:
                Loop(loop);
                break;
            case ISwitchOperation @switch:
                Switch(@switch);
                break;
            case ITryOperation @try:
                Try(@try);
                break;
            case IUsingOperation @using:
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
            case IUsingDeclarationOperation usingDeclaration:
                Statement(usingDeclaration.DeclarationGroup);
                break;
            case ILockOperation @lock:
                _ = Eval(@lock.LockedValue);
                Statement(@lock.Body);
                break;
            case ILocalFunctionOperation localFunction:
                // Analysed on its own graph by the engine when it touches pages; the proof leaves such bodies to it.
                if (TouchesPages(localFunction.Syntax, localFunction.Symbol))
                {
                    Fail();
                }

                break;
            case IEmptyOperation:
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
        var loopStart = _count;
        var outer = _jumps;
        for (var pass = 0; pass < MaxLoopPasses && !_failed; pass++)
        {
            _jumps = new List<Jump>();
            var exits = new List<State>();
            State bodyIn;
            if (conditionFirst)
            {
                _state = head.Clone();
                var (whenTrue, whenFalse) = loop is IForEachLoopOperation ? (_state, _state.Clone()) : Condition(condition);
                exits.Add(whenFalse);
                bodyIn = whenTrue;
            }
            else
            {
                bodyIn = head.Clone();
            }

            _state = bodyIn;
            if (loop is IForEachLoopOperation forEachLoop)
            {
                LoopVariable(forEachLoop);
            }

            Statement(loop.Body);
            var back = _state;
            foreach (var jump in _jumps)
            {
                if (SymbolEqualityComparer.Default.Equals(jump.Target, loop.ContinueLabel))
                {
                    back = State.Join(back, jump.State);
                }
                else if (SymbolEqualityComparer.Default.Equals(jump.Target, loop.ExitLabel))
                {
                    exits.Add(jump.State);
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
                exits.Add(whenFalse);
                _state = whenTrue;
            }

            // A page made inside the body must be settled before the next pass makes it again.
            ScopeEnds(_state, loopStart);
            var next = State.Join(head, _state);
            if (next.SameAs(head))
            {
                foreach (var jump in _jumps)
                {
                    if (!SymbolEqualityComparer.Default.Equals(jump.Target, loop.ContinueLabel)
                        && !SymbolEqualityComparer.Default.Equals(jump.Target, loop.ExitLabel))
                    {
                        outer.Add(jump);
                    }
                }

                _jumps = outer;
                _state = State.Join(exits);
                ScopeEnds(_state, loopStart);
                return;
            }

            head = next;
        }

        _jumps = outer;
        Fail();
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

            _state.Set(id, new Entry(Mask.Borrowed | Mask.Null, null, AnySlot));
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

        var start = _count;
        var entry = _state;
        var outer = _jumps;
        _jumps = new List<Jump>();
        var ends = new List<State>();
        var hasDefault = false;
        foreach (var section in @switch.Cases)
        {
            _state = entry.Clone();
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

            ends.Add(_state);
        }

        if (!hasDefault)
        {
            ends.Add(entry);
        }

        foreach (var jump in _jumps)
        {
            if (jump.Kind == JumpKind.Break && SymbolEqualityComparer.Default.Equals(jump.Target, @switch.ExitLabel))
            {
                ends.Add(jump.State);
            }
            else
            {
                outer.Add(jump);
            }
        }

        _jumps = outer;
        _state = State.Join(ends);
        ScopeEnds(_state, start);
    }

    private void Try(ITryOperation @try)
    {
        if (@try.ExitLabel is not null)
        {
            Fail();
            return;
        }

        var entry = _state.Clone();
        var outer = _jumps;
        _jumps = new List<Jump>();
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

        var ends = new List<State> { _state };

        // Implicit exceptions are not exits for the engine: a handler starts from the state the try began with.
        foreach (var handler in @try.Catches)
        {
            _state = entry.Clone();
            if (handler.ExceptionDeclarationOrExpression is IVariableDeclaratorOperation or null)
            {
                _ = Eval(handler.Filter);
                Statement(handler.Handler);
            }
            else
            {
                Fail();
            }

            ends.Add(_state);
        }

        var inside = _jumps;
        _jumps = outer;
        var normal = State.Join(ends);
        if (@try.Finally is not { } @finally)
        {
            _jumps.AddRange(inside);
            _state = normal;
            return;
        }

        // The finally runs on every way out of the try: each jump that leaves it, and last its normal end.
        foreach (var jump in inside)
        {
            _jumps.Add(new Jump(jump.Kind, jump.Target, Finally(@finally, jump.State)));
        }

        _state = Finally(@finally, normal);
    }

    private State Finally(IBlockOperation @finally, State state)
    {
        if (state.Unreachable)
        {
            return state;
        }

        var saved = _jumps;
        _jumps = new List<Jump>();
        _state = state.Clone();
        Statement(@finally);
        if (_jumps.Count > 0)
        {
            Fail();
        }

        _jumps = saved;
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

    private static bool NothingOwned(State state, int firstId)
    {
        if (state.Unreachable)
        {
            return true;
        }

        for (var id = firstId; id < state.Length; id++)
        {
            if (Has(state.Get(id), Mask.Owned))
            {
                return false;
            }
        }

        return true;
    }

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
                return (_state, _state.Clone());
        }
    }

    private (State WhenTrue, State WhenFalse) Refine(int id, Nullness whenTrue, Nullness whenFalse)
    {
        var trueState = _state;
        var falseState = _state.Clone();
        if (id >= 0)
        {
            Narrow(trueState, id, whenTrue);
            Narrow(falseState, id, whenFalse);
        }

        return (trueState, falseState);
    }

    private static void Narrow(State state, int id, Nullness nullness)
    {
        var entry = state.Get(id);
        switch (nullness)
        {
            case Nullness.Null:
                state.Set(id, entry.WithMask(entry.Mask & Mask.Null));
                break;
            case Nullness.NotNull:
                state.Set(id, entry.WithMask(entry.Mask & ~Mask.Null));
                break;
        }
    }

    private static IOperation? NullComparand(IBinaryOperation binary)
    {
        if (binary.OperatorKind is not (BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals))
        {
            return null;
        }

        if (IsNullConstant(binary.RightOperand))
        {
            return binary.LeftOperand;
        }

        return IsNullConstant(binary.LeftOperand) ? binary.RightOperand : null;
    }

    private static bool IsNullConstant(IOperation operation) => operation.ConstantValue.HasValue && operation.ConstantValue.Value is null;

    private static (Nullness WhenTrue, Nullness WhenFalse) PatternNullness(IPatternOperation pattern)
    {
        switch (pattern)
        {
            case IConstantPatternOperation constant when IsNullConstant(constant.Value):
                return (Nullness.Null, Nullness.NotNull);
            case INegatedPatternOperation negated:
                var (whenTrue, whenFalse) = PatternNullness(negated.Pattern);
                return (whenFalse, whenTrue);
            case IDeclarationPatternOperation or ITypePatternOperation:
                return (Nullness.NotNull, Nullness.Null);
            case IRecursivePatternOperation recursive:
                var empty = recursive.PropertySubpatterns.IsEmpty && recursive.DeconstructionSubpatterns.IsEmpty;
                return (Nullness.NotNull, empty ? Nullness.Null : Nullness.Unknown);
            default:
                return (Nullness.Unknown, Nullness.Unknown);
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

        switch (operation)
        {
            case ILocalReferenceOperation local:
                return _known.IsPage(local.Local.Type) ? new Value(Variable(local.Local)) : Value.None;
            case IParameterReferenceOperation parameter:
                return _known.IsPage(parameter.Parameter.Type) && _variables.TryGetValue(parameter.Parameter, out var parameterId)
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
                var notAssigned = _state.Clone();
                _ = Eval(coalesceAssignment.Value);
                _state = State.Join(_state, notAssigned);
                return Value.None;
            case IDeconstructionAssignmentOperation or IDynamicInvocationOperation or IDynamicMemberReferenceOperation
                or IInterpolatedStringHandlerCreationOperation { HandlerAppendCallsReturnBool: true }:
                // Aliases the proof does not follow, or holes a handler may skip.
                return Fail();
            default:
                if (_known.IsPage(operation.Type))
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
        var whenNull = _state.Clone();
        if (receiver.Id >= 0)
        {
            Narrow(whenNull, receiver.Id, Nullness.Null);
            Narrow(_state, receiver.Id, Nullness.NotNull);
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
        var skipped = _state.Clone();
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
        var ends = new List<State>();
        foreach (var arm in switchExpression.Arms)
        {
            _state = entry.Clone();
            if (DeclaresPage(arm.Pattern))
            {
                return Fail();
            }

            _ = Eval(arm.Guard);
            _ = Eval(arm.Value);
            ends.Add(_state);
        }

        _state = State.Join(ends);
        return Value.None;
    }

    /// <summary>A page read out of a field, property or array slot: borrowed, unless the method later clears the slot.</summary>
    private Value Read(IOperation slot)
    {
        if (!_known.IsPage(slot.Type))
        {
            return Value.None;
        }

        return NewTemp(slot, new Entry(Mask.Borrowed | Mask.Null, null, PageFlowRun.SlotKey(slot)));
    }

    private Value NewTemp(IOperation at, Entry entry)
    {
        if (!_temps.TryGetValue(at, out var id))
        {
            _temps[at] = id = _count++;
        }
        else if (Has(_state.Get(id), Mask.Owned))
        {
            // The same operation runs again (a loop) while its previous page is still owned.
            return Fail();
        }

        _state.Set(id, entry);
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
        if (Has(_state.Get(id), Mask.Owned) || (value.Id >= 0 && !_temps.ContainsValue(value.Id)))
        {
            // An overwrite of an owned page, or a copy of another variable.
            return Fail();
        }

        _state.Set(id, value.Id >= 0 ? _state.Get(value.Id) : default);
        if (value.Id >= 0)
        {
            _state.Set(value.Id, default);
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
                    return NewTemp(invocation, new Entry(Mask.Owned | Mask.Null, PoolKeys.Of(invocation.Instance, _known)?.Key ?? NoPool, null));
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
        return NewTemp(invocation, new Entry(owned ? Mask.Owned | Mask.Null : Mask.Borrowed | Mask.Null, owned ? NoPool : null, null));
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

    private static Value PageArgument(ImmutableArray<IArgumentOperation> arguments, Value[] values)
    {
        for (var i = 0; i < arguments.Length; i++)
        {
            if (arguments[i].Parameter?.Ordinal == 0)
            {
                return values[i];
            }
        }

        return Value.None;
    }

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
            if (parameter.RefKind == RefKind.Ref || _known.TakesOwnership(parameter) || StoresIntoCollection(method, instance))
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

    private bool StoresIntoCollection(IMethodSymbol method, IOperation? instance)
    {
        if (instance?.Type is INamedTypeSymbol receiver && receiver.TypeArguments.Any(_known.IsPage))
        {
            return true;
        }

        return method.ContainingType is { } containing && containing.TypeArguments.Any(_known.IsPage);
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
            var entry = _state.Get(value.Id);
            if (Has(entry, Mask.Owned))
            {
                _state.Set(value.Id, entry.WithMask((entry.Mask & ~Mask.Owned) | Mask.HandedOn));
            }
        }
    }

    private void Release(Value value, Mask now, IOperation? pool, bool dropped)
    {
        if (value.Id < 0)
        {
            return;
        }

        var entry = _state.Get(value.Id);
        if (Has(entry, Mask.Gone) || (Has(entry, Mask.Released) && !dropped))
        {
            // A second put, or a put after a release: PP0002 (Page.Put() after ReleasePage is the correct drop).
            Fail();
            return;
        }

        if (pool is not null && Has(entry, Mask.Owned) && entry.Pool is { } from && from != NoPool
            && (from == MixedPools || (PoolKeys.Of(pool, _known)?.Key is { } to && to != from)))
        {
            Fail();
            return;
        }

        _state.Set(value.Id, new Entry(now, null, null));
    }

    /// <summary>The drain idiom: a page read from a slot that is then overwritten belongs to this method from the read on.</summary>
    private void TakeFromSlot(string? key)
    {
        if (key is null)
        {
            return;
        }

        for (var id = 0; id < _state.Length; id++)
        {
            var entry = _state.Get(id);
            if (Has(entry, Mask.Borrowed) && entry.Slot is { } slot && (slot == key || ReferenceEquals(slot, AnySlot)))
            {
                _state.Set(id, new Entry((entry.Mask & ~Mask.Borrowed) | Mask.Owned, NoPool, entry.Slot));
            }
        }
    }

    private int Variable(ISymbol symbol)
    {
        if (!_variables.TryGetValue(symbol, out var id))
        {
            _variables[symbol] = id = _count++;
        }

        return id;
    }

    private Value Fail()
    {
        _failed = true;
        _state = State.Dead;
        return Value.None;
    }

    private static bool Has(Entry entry, Mask mask) => (entry.Mask & mask) != 0;

    // ---- lattice -------------------------------------------------------------------------------------------------

    /// <summary>Pool key of a page whose pool is unknown (no PP0008 check can fire for it).</summary>
    private const string NoPool = "";

    /// <summary>Pool key after a join of pages from different pools: any put to a named pool gives up.</summary>
    private static readonly string MixedPools = new('\u0001', 1);

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

    private enum Nullness
    {
        Unknown,
        Null,
        NotNull,
    }

    private enum JumpKind
    {
        Return,
        Throw,
        Break,
        Continue,
    }

    private readonly struct Entry : IEquatable<Entry>
    {
        public Entry(Mask mask, string? pool, string? slot)
        {
            Mask = mask;
            Pool = pool;
            Slot = slot;
        }

        public Mask Mask { get; }

        /// <summary>The pool key of an owned page, for the PP0008 check.</summary>
        public string? Pool { get; }

        /// <summary>The slot a borrowed page was read from, for the drain idiom.</summary>
        public string? Slot { get; }

        public static bool operator ==(Entry left, Entry right) => left.Equals(right);

        public static bool operator !=(Entry left, Entry right) => !left.Equals(right);

        public static Entry Join(Entry a, Entry b)
        {
            var pool = !Has(a, Mask.Owned) ? b.Pool : !Has(b, Mask.Owned) ? a.Pool : a.Pool == b.Pool ? a.Pool : MixedPools;
            var slot = !Has(a, Mask.Borrowed) ? b.Slot : !Has(b, Mask.Borrowed) ? a.Slot : a.Slot == b.Slot ? a.Slot : AnySlot;
            return new Entry(a.Mask | b.Mask, pool, slot);
        }

        public Entry WithMask(Mask mask) => new(mask, Pool, Slot);

        public bool Equals(Entry other) => Mask == other.Mask && Pool == other.Pool && Slot == other.Slot;

        public override bool Equals(object? obj) => obj is Entry other && Equals(other);

        public override int GetHashCode() => ((int)Mask * 397) ^ (Pool?.GetHashCode() ?? 0) ^ (Slot?.GetHashCode() ?? 0);
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

    private sealed class Jump
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
    }

    /// <summary>One program point: the possible states of every tracked page, by id; unreachable after a jump.</summary>
    private sealed class State
    {
        public static readonly State Dead = new() { Unreachable = true };

        private Entry[] _entries = Array.Empty<Entry>();

        public bool Unreachable { get; private set; }

        public int Length => _entries.Length;

        public Entry Get(int id) => id < _entries.Length ? _entries[id] : default;

        public void Set(int id, Entry entry)
        {
            if (Unreachable)
            {
                return;
            }

            if (id >= _entries.Length)
            {
                Array.Resize(ref _entries, Math.Max(id + 1, _entries.Length * 2));
            }

            _entries[id] = entry;
        }

        public State Clone() => Unreachable ? this : new State { _entries = (Entry[])_entries.Clone() };

        public bool SameAs(State other)
        {
            if (Unreachable || other.Unreachable)
            {
                return Unreachable == other.Unreachable;
            }

            var length = Math.Max(Length, other.Length);
            for (var id = 0; id < length; id++)
            {
                if (Get(id) != other.Get(id))
                {
                    return false;
                }
            }

            return true;
        }

        public static State Join(State a, State b)
        {
            if (a.Unreachable)
            {
                return b;
            }

            if (b.Unreachable)
            {
                return a;
            }

            var joined = new State { _entries = new Entry[Math.Max(a.Length, b.Length)] };
            for (var id = 0; id < joined._entries.Length; id++)
            {
                joined._entries[id] = Entry.Join(a.Get(id), b.Get(id));
            }

            return joined;
        }

        public static State Join(List<State> states)
        {
            var result = Dead;
            foreach (var state in states)
            {
                result = Join(result, state);
            }

            return result;
        }
    }
}
