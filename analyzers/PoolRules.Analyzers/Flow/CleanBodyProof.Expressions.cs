using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using static PoolRules.Analyzers.Flow.NullTests;

namespace PoolRules.Analyzers.Flow;

/// <summary>The proof's conditions (with null refinement) and expressions; see CleanBodyProof.cs.</summary>
internal sealed partial class CleanBodyProof
{
    // ---- conditions ----------------------------------------------------------------------------------------------

    /// <summary>The states after a condition when it is true and when it is false, refined on null tests of pages.</summary>
    private (State WhenTrue, State WhenFalse) Condition(IOperation? condition)
    {
        switch (condition)
        {
            case null:
                return (_state, State.Dead);
            case { ConstantValue: { HasValue: true, Value: bool constant } }:
                // `while (true)`: the outcome that cannot happen leads nowhere, as in the engine.
                return constant ? (_state, State.Dead) : (State.Dead, _state);
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

    /// <summary>
    /// A variable the proof follows: a page, and where the body may rent, an array or an IMemoryOwner (the types a
    /// rental itself has; a view or a pooled object in a variable of its own is an alias the proof gives up on).
    /// </summary>
    private bool Tracks(ITypeSymbol? type) =>
        _known.IsPage(type) || (_rentals && (type is IArrayTypeSymbol || _known.NetPools!.IsMemoryOwner(type)));

    private bool DeclaresPage(IOperation? pattern) => Declared(pattern, local => Tracks(local.Type));

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
                return Tracks(local.Local.Type) ? new Value(Variable(local.Local)) : _rentals ? Untyped(local.Local) : Value.None;
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
                var creationArgs = EvalArguments(creation.Arguments);
                if (PoolContracts.Of(creation, _known) is { Effect: PoolEffect.View, ValueArgument: >= 0 } view)
                {
                    // new ArraySegment<byte>(rented, 0, n): the rental under another type, as a view call.
                    UseArguments(creationArgs);
                    return creationArgs[view.ValueArgument];
                }

                PassArguments(creation.Constructor, creation.Arguments, creationArgs, null);
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
                if (_storedFields.Count > 0 && _storedFields.Contains(field.Field, SymbolEqualityComparer.Default))
                {
                    // The engine follows the rental stored there through this read.
                    return Fail();
                }

                UseInstance(field.Instance);
                return Read(field);
            case IPropertyReferenceOperation property:
                if (PoolContracts.Of(property, _known).Effect == PoolEffect.View)
                {
                    // owner.Memory, memory.Span: the rental under another type, as a view call.
                    var viewed = Eval(property.Instance);
                    Use(viewed);
                    return viewed;
                }

                UseInstance(property.Instance);
                foreach (var argument in property.Arguments)
                {
                    _ = Eval(argument.Value);
                }

                return Read(property);
            case IImplicitIndexerReferenceOperation range when PoolContracts.Of(range, _known).Effect == PoolEffect.View:
                // memory[..n]: a slice of the same rental, as in the engine.
                var sliced = Eval(range.Instance);
                Use(sliced);
                _ = Eval(range.Argument);
                return sliced;
            case IArrayElementReferenceOperation element:
                UseInstance(element.ArrayReference);
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
                if (Lambda(operation) is { } lambda && (TouchesPages(lambda.Syntax, lambda.Symbol) || MentionsTracked(lambda.Syntax)))
                {
                    // The engine runs a lambda invoked in place as its body at each call: reads there are uses.
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
                AddJump(JumpKind.Throw, null, thrown.Syntax);
                return Value.None;
            case ICoalesceAssignmentOperation coalesceAssignment when !_known.IsPage(coalesceAssignment.Type):
                // `x ??= y`: y runs only on some paths. A rental stored so (`first ??= node`) is an alias on some paths
                // only, which the engine's points-to sets follow and the proof does not.
                _ = Eval(coalesceAssignment.Target);
                var notAssigned = _state;
                if (Eval(coalesceAssignment.Value).Id >= 0)
                {
                    return Fail();
                }

                _state = State.Join(_state, notAssigned);
                return Value.None;
            case IInvalidOperation invalid:
                // What does not bind takes what it is given, in the engine: a tracked value given to it is left there.
                foreach (var child in invalid.ChildOperations)
                {
                    if (Eval(child).Id >= 0)
                    {
                        return Fail();
                    }
                }

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
        OperationKind.PropertyReference, OperationKind.ImplicitIndexerReference, OperationKind.ArrayElementReference, OperationKind.ArrayCreation,
        OperationKind.ArrayInitializer, OperationKind.Tuple, OperationKind.AnonymousObjectCreation,
        OperationKind.AnonymousFunction, OperationKind.DelegateCreation, OperationKind.ConditionalAccess,
        OperationKind.ConditionalAccessInstance, OperationKind.Conditional, OperationKind.Coalesce,
        OperationKind.SwitchExpression, OperationKind.Throw, OperationKind.CoalesceAssignment,
        OperationKind.DeconstructionAssignment, OperationKind.DynamicInvocation, OperationKind.DynamicMemberReference,
        OperationKind.InterpolatedStringHandlerCreation, OperationKind.Invalid);

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

    /// <summary>Whether a function's body names one of the page variables this proof tracks.</summary>
    private bool MentionsTracked(SyntaxNode body)
    {
        foreach (var node in body.DescendantNodes())
        {
            if (node is Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax identifier)
            {
                var name = identifier.Identifier.ValueText;
                foreach (var key in _keys)
                {
                    if (key is ISymbol symbol && symbol.Name == name)
                    {
                        return true;
                    }
                }

                foreach (var (alias, _) in _aliases)
                {
                    if (alias.Name == name)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>A lambda or local function the engine would analyse on its own graph: the proof leaves its body to the engine.</summary>
    private bool TouchesPages(SyntaxNode syntax, IMethodSymbol symbol) => PageFlowRun.AnalysesFunction(_known, syntax, symbol);

    /// <summary>
    /// A value of one arm of a branch, which the engine carries on as the branch's result: a rental (or a view of one)
    /// there ends up wherever the result goes, an alias the proof does not follow.
    /// </summary>
    private void Branch(Value value)
    {
        if (_rentals && value.Id >= 0)
        {
            Fail();
        }
    }

    /// <summary>`a?.b`: b runs only when a is not null, with a known not null there.</summary>
    private Value ConditionalAccess(IConditionalAccessOperation access)
    {
        if (Tracks(access.Type))
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
        Branch(Eval(access.WhenNotNull));
        _receivers.Pop();
        _state = State.Join(_state, whenNull);
        return Value.None;
    }

    private Value Branches(IConditionalOperation conditional)
    {
        if (Tracks(conditional.Type))
        {
            return Fail();
        }

        var (whenTrue, whenFalse) = Condition(conditional.Condition);
        _state = whenTrue;
        Branch(Eval(conditional.WhenTrue));
        var afterTrue = _state;
        _state = whenFalse;
        Branch(Eval(conditional.WhenFalse));
        _state = State.Join(afterTrue, _state);
        return Value.None;
    }

    private Value Coalesce(ICoalesceOperation coalesce)
    {
        if (Tracks(coalesce.Type) || Tracks(coalesce.Value.Type))
        {
            return Fail();
        }

        Branch(Eval(coalesce.Value));
        var skipped = _state;
        Branch(Eval(coalesce.WhenNull));
        _state = State.Join(_state, skipped);
        return Value.None;
    }

    private Value SwitchExpression(ISwitchExpressionOperation switchExpression)
    {
        if (Tracks(switchExpression.Type) || Eval(switchExpression.Value).Id >= 0)
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
            Branch(Eval(arm.Value));
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
        _takes[id] = Has(mask, Mask.Owned) ? at : null;
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
                // `(page = pool.AllocPages()) is null` tests the variable.
                return Tracks(local.Local.Type) ? AssignLocal(local.Local, value) : Bind(local.Local, value);
            case IParameterReferenceOperation { Parameter.RefKind: RefKind.None } parameter:
                if (Tracks(parameter.Parameter.Type))
                {
                    return AssignLocal(parameter.Parameter, value);
                }

                break;
            case IDiscardOperation:
                break;
            case IParameterReferenceOperation { Parameter.RefKind: RefKind.Out } when value.Id >= 0:
                // The engine keeps a page in an out parameter as the caller's variable (an overwrite there is a leak).
                return Fail();
            case IFieldReferenceOperation stored when _rentals && value.Id >= 0:
                // Handed on, as into any slot; the engine also follows the rental through later reads of the field,
                // where the proof gives up (in a loop, a read before the store is one after it on the next pass).
                _storedFields.Add(stored.Field);
                Use(value);
                HandOn(value);
                return Value.None;
            case IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation:
                Use(value);
                HandOn(value);
                TakeFromSlot(target, value.Id);
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
                UseInstance(element.ArrayReference);
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
        if (Has(_state.Get(id), Mask.Owned) || (value.Id >= 0 && _keys[value.Id] is not IOperation) || AliasedBy(id))
        {
            // An overwrite of an owned page, or a copy of another variable.
            return Fail();
        }

        if (value.Id >= 0)
        {
            Mark(id, _state.Get(value.Id), _pools[value.Id], _slots[value.Id]);
            _state.Set(value.Id, Mask.None);

            // Body-wide, as pools: a variable that holds pages of two allocations cannot name the one that leaks.
            _takes[id] = _takes[id] is null || ReferenceEquals(_takes[id], _takes[value.Id]) ? _takes[value.Id] : TwoTakes;
        }
        else
        {
            _state.Set(id, Mask.None);
        }

        return new Value(id);
    }

    /// <summary>
    /// A variable of a type the proof does not follow by type takes a value: a pooled object fresh from a take becomes
    /// a tracked variable; a view of (or another reference to) a rental variable becomes an alias of it, so that its
    /// uses, hand-ons and give-backs are the rental's, as the engine's points-to sets make them. An alias that would
    /// change what it stands for (it is body-wide, the engine's is per path) and a page seen through another type are
    /// left to the engine.
    /// </summary>
    private Value Bind(ILocalSymbol local, Value value)
    {
        if (!_rentals)
        {
            NotAliased(value);
            return Value.None;
        }

        if (IdOf(local) >= 0)
        {
            return AssignLocal(local, value);
        }

        var alias = AliasOf(local);
        if (alias >= 0)
        {
            return value.Id == alias ? value : Fail();
        }

        if (value.Id < 0)
        {
            return Value.None;
        }

        if (_keys[value.Id] is IOperation { Type: var type } && !_known.IsPage(type))
        {
            return AssignLocal(local, value);
        }

        if (_keys[value.Id] is ISymbol symbol && !_known.IsPage(symbol is ILocalSymbol l ? l.Type : (symbol as IParameterSymbol)?.Type))
        {
            _aliases.Add((local, value.Id));
            return value;
        }

        return Fail();
    }

    /// <summary>A local of an untracked type: the tracked variable it became, or the rental variable it is an alias of.</summary>
    private Value Untyped(ILocalSymbol local)
    {
        var id = IdOf(local);
        return new Value(id >= 0 ? id : AliasOf(local));
    }

    private int AliasOf(ILocalSymbol local)
    {
        foreach (var (symbol, target) in _aliases)
        {
            if (SymbolEqualityComparer.Default.Equals(symbol, local))
            {
                return target;
            }
        }

        return -1;
    }

    /// <summary>Whether a variable has aliases: giving it a new value would leave them standing for the old one.</summary>
    private bool AliasedBy(int id)
    {
        foreach (var (_, target) in _aliases)
        {
            if (target == id)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Aliases declared in a block end with it: each pass of a loop body declares them afresh.</summary>
    private void AliasesEnd(SyntaxNode block)
    {
        for (var i = _aliases.Count - 1; i >= 0; i--)
        {
            var declared = _aliases[i].Local.DeclaringSyntaxReferences;
            if (declared.Length == 1 && declared[0].SyntaxTree == block.SyntaxTree && block.Span.Contains(declared[0].Span))
            {
                _aliases.RemoveAt(i);
            }
        }
    }

    private Value Invoke(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        var instance = Eval(invocation.Instance);
        var args = EvalArguments(invocation.Arguments);

        var contract = PoolContracts.Of(invocation, _known);
        var target = contract.ValueArgument >= 0 ? args[contract.ValueArgument] : instance;
        switch (contract.Effect)
        {
            case PoolEffect.Take:
                if (contract.IsNetPool && _finallyDepth > 0 && AnyGone())
                {
                    // Should the take throw, the finally may give back again what is already back.
                    return Fail();
                }

                ClearOutArguments(invocation.Arguments);
                // A page allocation may fail (null); Rent and Get never hand out null.
                return NewTemp(invocation, contract.IsNetPool ? Mask.Owned : Mask.Owned | Mask.Null, contract.Pool, null);
            case PoolEffect.GiveBack or PoolEffect.Release:
                if (contract.IsNetPool && target.Id >= 0 && Has(_state.Get(target.Id), Mask.HandedOn))
                {
                    // Given back after it was returned or stored: the engine may report the escape (PP0103).
                    return Fail();
                }

                Release(contract.ValueArgument >= 0 || contract.IsNetPool ? target : Value.None, contract.Effect == PoolEffect.Release ? Mask.Released : Mask.Gone, contract.Pool, dropped: false);
                if (contract.IsNetPool)
                {
                    UseOtherArguments(args, contract.ValueArgument);
                }

                return Value.None;
            case PoolEffect.Drop:
                Release(instance, Mask.Gone, null, dropped: true);
                UseArguments(args);
                return Value.None;
            case PoolEffect.Share or PoolEffect.SlotExchange:
                return Fail();
            case PoolEffect.Use:
                if (contract.Pool is null)
                {
                    Use(instance);
                }

                UseArguments(args);
                return Value.None;
            case PoolEffect.View:
                // A view is the rental under another type: where it goes the rental goes, and a variable of the view's
                // type, a branch or a field that takes it is an alias the proof gives up on there.
                Use(target);
                UseOtherArguments(args, contract.ValueArgument);
                return target;
            case PoolEffect.ViewOut when target.Id >= 0:
                // The out segment is an alias of the rental the proof does not follow.
                return Fail();
            case PoolEffect.Pending when AwaitedAtOnce(invocation):
                // `await stream.WriteAsync(rented.AsMemory(0, n))`: the task ends where it is made, as a plain call's result.
                break;
            case PoolEffect.Pending:
                // A task carries the rental on under another type: an alias the proof leaves to the engine.
                foreach (var value in args)
                {
                    if (value.Id >= 0)
                    {
                        return Fail();
                    }
                }

                if (instance.Id >= 0)
                {
                    return Fail();
                }

                break;
        }

        Use(instance);
        if (method.MethodKind == MethodKind.LocalFunction)
        {
            // The engine applies what the function does to the pages it captures at the call (a read is a use).
            if (method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is not { } declared || MentionsTracked(declared))
            {
                return Fail();
            }

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
        if (method.DeclaringSyntaxReferences.Length > 0 && _known.Flow.MayHandBackPage(method) && HandsBackThroughTupleOrOut(method, invocation))
        {
            // The engine owns a page that comes back in a tuple or an out parameter; the proof does not track those.
            return Fail();
        }

        if (!_known.IsPage(method.ReturnType))
        {
            return Value.None;
        }

        var owned = _known.Flow.ReturnsOwnedPage(method, null);
        return NewTemp(invocation, owned ? Mask.Owned | Mask.Null : Mask.Borrowed | Mask.Null, owned ? NoPool : null, null);
    }

    private bool HandsBackThroughTupleOrOut(IMethodSymbol method, IInvocationOperation invocation)
    {
        if (_known.PageElement(method.ReturnType) >= 0 && _known.Flow.ReturnsOwnedPage(method, null))
        {
            return true;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is { RefKind: RefKind.Out } parameter && _known.IsPage(parameter.Type)
                && _known.Flow.OutOf(method, parameter.Ordinal, null) != OutSummary.None)
            {
                return true;
            }
        }

        return false;
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

    /// <summary>A task awaited where it is made (directly, or through ConfigureAwait): the engine's task value goes nowhere.</summary>
    private static bool AwaitedAtOnce(IOperation task)
    {
        var parent = task.Parent;
        while (parent is IConversionOperation)
        {
            parent = parent.Parent;
        }

        return parent is IAwaitOperation
            || (parent is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configure && ReferenceEquals(configure.Instance, task) && configure.Parent is IAwaitOperation);
    }

    private bool AnyGone()
    {
        for (var id = 0; id < _keys.Count; id++)
        {
            if (Has(_state.Get(id), Mask.Gone))
            {
                return true;
            }
        }

        return false;
    }

    private void UseOtherArguments(Value[] values, int except)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (i != except)
            {
                Use(values[i]);
            }
        }
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
                    case ILocalReferenceOperation local when Tracks(local.Local.Type):
                        AssignLocal(local.Local, Value.None);
                        break;
                    case IParameterReferenceOperation parameter when Tracks(parameter.Parameter.Type):
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

            if (parameter.RefKind == RefKind.Ref || _known.TakesOwnership(parameter) || _known.StoresPages(method, instance)
                || (_rentals && (_known.TakesAnyOwnership(parameter) || _known.StoresRentals(method, instance, arguments[i].Value)
                    || _known.KeepsRental(method, parameter, arguments[i].Value))))
            {
                // For a rental the engine hands on only rentals; this may hand on a page more often, which only makes the proof give up more.
                Use(value);
                HandOn(value);
                continue;
            }

            switch (_known.Flow.Summary(method, parameter.Ordinal, null))
            {
                case ParameterSummary.Consumes:
                    Use(value);
                    HandOn(value);
                    break;
                case ParameterSummary.Puts:
                    Release(value, Mask.Gone, null, dropped: false);
                    break;
                case ParameterSummary.Drops:
                    Release(value, Mask.Gone, null, dropped: true);
                    break;
                case ParameterSummary.ConsumesWhenTrue or ParameterSummary.ConsumesWhenFalse:
                    // The engine splits the page's state on a branch over the result; the proof does not.
                    Fail();
                    break;
                default:
                    Use(value);
                    break;
            }
        }

        ClearOutArguments(arguments);
    }
}
