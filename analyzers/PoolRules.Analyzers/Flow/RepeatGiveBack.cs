using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers.Flow;

/// <summary>
/// PP0105's question about a method that can run twice (<c>Dispose</c>, a finalizer, <c>Reset</c>, <c>Clear</c>): which
/// give-backs of a field's value are reached on a normal path that ends with the field unchanged and no guard set that
/// the path checked before the give-back. The second call then starts where the first ended and gives the same value
/// back again.
/// </summary>
/// <remarks>
/// The graph is explored path by path (states are deduplicated per block, so loops converge), each path carrying what
/// it learned about the fields' values on entry (from branches taken before anything assigned them), what it assigned
/// them, which locals and flow captures still hold a field's entry value, and the give-backs still owed a clear. A
/// branch that contradicts what the path learned is not followed. Finally regions run inline for the branch that
/// leaves through them; exception paths are not followed (an exception out of Dispose is a bug of its own). Anything
/// the pass cannot follow (an invalid graph, a method past the budget) gives no finding.
/// </remarks>
internal sealed class RepeatGiveBack
{
    // Block visits per method; a Dispose past this is not analysed rather than slowing the build.
    private const int Budget = 20_000;

    private readonly INamedTypeSymbol _type;
    private readonly KnownSymbols _known;
    private readonly FieldWrites _writes;
    private readonly Func<IFieldSymbol, bool> _mayHoldRental;

    public RepeatGiveBack(INamedTypeSymbol type, KnownSymbols known, FieldWrites writes, Func<IFieldSymbol, bool> mayHoldRental)
    {
        _type = type;
        _known = known;
        _writes = writes;
        _mayHoldRental = mayHoldRental;
    }

    /// <summary>What a call gives back to a .NET pool, as <see cref="PoolContracts"/> says: the value argument, or the receiver (an owner's Dispose).</summary>
    public static IOperation? GivenBack(IInvocationOperation invocation, KnownSymbols known) =>
        PoolContracts.Of(invocation, known) is { Effect: PoolEffect.GiveBack, IsNetPool: true } give
            ? give.ValueArgument >= 0 ? invocation.Arguments[give.ValueArgument].Value : invocation.Instance
            : null;

    /// <summary>The give-backs a second call repeats, with the field whose value they give back; empty when none or when the graph is not understood.</summary>
    public List<(IInvocationOperation GiveBack, IFieldSymbol Field)> Find(ControlFlowGraph graph)
    {
        var findings = new List<(IInvocationOperation, IFieldSymbol)>();
        var visited = new HashSet<Item>();
        var work = new Stack<Item>();
        work.Push(new Item(graph.Blocks[0], State.Empty, ImmutableStack<Continuation>.Empty));
        var steps = 0;
        while (work.Count > 0)
        {
            var item = work.Pop();
            if (!visited.Add(item))
            {
                continue;
            }

            if (++steps > Budget)
            {
                return new List<(IInvocationOperation, IFieldSymbol)>();
            }

            var block = item.Block;
            if (block.Kind == BasicBlockKind.Exit)
            {
                foreach (var pending in item.State.Pending)
                {
                    if (!Discharged(pending, item.State) && !findings.Contains((pending.GiveBack, pending.Field)))
                    {
                        findings.Add((pending.GiveBack, pending.Field));
                    }
                }

                continue;
            }

            var state = item.State;
            foreach (var operation in block.Operations)
            {
                state = Eval(operation, state);
            }

            if (block.BranchValue is { } branchValue)
            {
                state = Eval(branchValue, state);
            }

            bool ok;
            if (block.ConditionalSuccessor is { } conditional && block.BranchValue is { } condition)
            {
                var jumpsWhen = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
                ok = Learn(condition, jumpsWhen, state) is not { } jumping || Follow(graph.Blocks, conditional, jumping, item.Finallies, work);
                ok &= Learn(condition, !jumpsWhen, state) is not { } falling || Follow(graph.Blocks, block.FallThroughSuccessor, falling, item.Finallies, work);
            }
            else
            {
                ok = Follow(graph.Blocks, block.FallThroughSuccessor, state, item.Finallies, work);
            }

            if (!ok)
            {
                return new List<(IInvocationOperation, IFieldSymbol)>();
            }
        }

        return findings;
    }

    // False when the graph has an error branch: invalid code gets no finding.
    private static bool Follow(ImmutableArray<BasicBlock> blocks, ControlFlowBranch? branch, State state, ImmutableStack<Continuation> finallies, Stack<Item> work)
    {
        if (branch is null)
        {
            return true;
        }

        switch (branch.Semantics)
        {
            case ControlFlowBranchSemantics.Regular or ControlFlowBranchSemantics.Return:
                if (!branch.FinallyRegions.IsEmpty)
                {
                    return Enter(blocks, branch, 0, state, finallies, work);
                }

                if (branch.Destination is { } destination)
                {
                    work.Push(new Item(destination, state, finallies));
                }

                return true;
            case ControlFlowBranchSemantics.StructuredExceptionHandling:
                // The end of a finally region: go on where the branch that ran it was going.
                if (!finallies.IsEmpty)
                {
                    var next = finallies.Pop(out var continuation);
                    if (continuation.NextRegion < continuation.Branch.FinallyRegions.Length)
                    {
                        return Enter(blocks, continuation.Branch, continuation.NextRegion, state, next, work);
                    }

                    if (continuation.Branch.Destination is { } after)
                    {
                        work.Push(new Item(after, state, next));
                    }
                }

                return true;
            case ControlFlowBranchSemantics.Error:
                return false;
            default:
                // Throw, rethrow, program termination: not a normal end of the method.
                return true;
        }
    }

    private static bool Enter(ImmutableArray<BasicBlock> blocks, ControlFlowBranch branch, int region, State state, ImmutableStack<Continuation> finallies, Stack<Item> work)
    {
        var first = branch.FinallyRegions[region].FirstBlockOrdinal;
        if (first < 0 || first >= blocks.Length)
        {
            return false;
        }

        work.Push(new Item(blocks[first], state, finallies.Push(new Continuation(branch, region + 1))));
        return true;
    }

    // What an alias of `this` maps to; no field is ever this symbol.
    private static readonly object This = new();

    private State Eval(IOperation operation, State state)
    {
        switch (operation)
        {
            case ISimpleAssignmentOperation assignment:
            {
                var value = Alias(assignment.Value, state);
                state = Eval(assignment.Value, state);
                switch (assignment.Target)
                {
                    case ILocalReferenceOperation local:
                        return state.WithAlias(local.Local, value);
                    case IInstanceReferenceOperation:
                        // `this = default;` in a struct's Dispose clears every field at once.
                        foreach (var member in _type.GetMembers())
                        {
                            if (member is IFieldSymbol { IsStatic: false } or IPropertySymbol { IsStatic: false })
                            {
                                state = state.Assign(member.OriginalDefinition, Value.Unknown);
                            }
                        }

                        return state;
                    case var target when Slot(target, state) is { } slot:
                        return state.Assign(slot, ValueOf(assignment.Value));
                    default:
                        return Eval(assignment.Target, state);
                }
            }

            case ICompoundAssignmentOperation or IIncrementOrDecrementOperation or ICoalesceAssignmentOperation:
            {
                foreach (var child in operation.ChildOperations)
                {
                    state = Eval(child, state);
                }

                var target = operation switch
                {
                    ICompoundAssignmentOperation compound => compound.Target,
                    IIncrementOrDecrementOperation increment => increment.Target,
                    _ => ((ICoalesceAssignmentOperation)operation).Target,
                };
                return Slot(target, state) is { } slot ? state.Assign(slot, Value.Unknown) : state;
            }

            case IDeconstructionAssignmentOperation deconstruction:
            {
                state = Eval(deconstruction.Value, state);
                foreach (var target in deconstruction.Target.DescendantsAndSelf())
                {
                    if (Slot(target, state) is { } slot)
                    {
                        state = state.Assign(slot, Value.Unknown);
                    }
                    else if (target is ILocalReferenceOperation local)
                    {
                        state = state.WithAlias(local.Local, null);
                    }
                }

                return state;
            }

            case IFlowCaptureOperation capture:
            {
                if (capture.Value is IInstanceReferenceOperation)
                {
                    return state.WithAlias(capture.Id, This);
                }

                var value = Alias(capture.Value, state);
                var slot = Slot(capture.Value, state);
                state = Eval(capture.Value, state).WithAlias(capture.Id, value);
                return slot is null ? state : state.WithAlias(new SlotCapture(capture.Id), slot);
            }

            case IInvocationOperation invocation:
                return Invoke(invocation, state);

            case IFlowAnonymousFunctionOperation or IAnonymousFunctionOperation:
                // Its body runs when it is called, if ever; what it assigns is not this path's.
                return state;

            default:
                foreach (var child in operation.ChildOperations)
                {
                    state = Eval(child, state);
                }

                return state;
        }
    }

    private State Invoke(IInvocationOperation invocation, State state)
    {
        if (invocation.Instance is { } instance)
        {
            state = Eval(instance, state);
        }

        foreach (var argument in invocation.Arguments)
        {
            state = Eval(argument.Value, state);
            if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out && Slot(argument.Value, state) is { } slot)
            {
                // Interlocked.Exchange(ref _disposed, 1) and the like check and set in one call: whatever the branch
                // on its result, treat the slot as a guard that was set.
                state = state.Assign(slot, Value.Unknown).WithRefPassed();
            }
        }

        if (GivenBack(invocation, _known) is { } given && Alias(given, state) is { } field && _mayHoldRental(field))
        {
            return state.Owe(new Pending(invocation, field, state.Checked, state.RefPassed));
        }

        // A field handed to a call may be checked there (`ObjectDisposedException.ThrowIf(_disposed, this)`).
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.RefKind is not (RefKind.Ref or RefKind.Out))
            {
                state = Touch(argument.Value, state);
            }
        }

        var method = invocation.TargetMethod;
        if (method.MethodKind == MethodKind.LocalFunction || (IsOwnOrBase(method.ContainingType) && invocation.Instance is null or IInstanceReferenceOperation))
        {
            // A helper of this type (or a local function) may check the guard (`ThrowIfDisposed()`), clear the field or
            // set the guard: what it names counts as checked, what it may write as written.
            var (writes, mentions) = _writes.Of(method, _type);
            foreach (var name in mentions)
            {
                foreach (var mentioned in SlotsNamed(name))
                {
                    if (!state.Assigned.ContainsKey(mentioned))
                    {
                        state = state.Check(Constraint.Opaque(mentioned)) ?? state;
                    }
                }
            }

            foreach (var name in writes)
            {
                foreach (var written in SlotsNamed(name))
                {
                    state = state.Assign(written, Value.Unknown);
                }
            }
        }

        return state;
    }

    private bool IsOwnOrBase(INamedTypeSymbol? containing)
    {
        for (var current = _type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, containing?.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }

    private IEnumerable<ISymbol> SlotsNamed(string name)
    {
        for (var current = _type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers(name))
            {
                if (member is IFieldSymbol { IsStatic: false } or IPropertySymbol { IsStatic: false })
                {
                    yield return member;
                }
            }
        }
    }

    /// <summary>The field or property of this instance that <paramref name="operation"/> names, or null.</summary>
    private static ISymbol? Slot(IOperation operation, State state) => operation switch
    {
        IFieldReferenceOperation { Field.IsStatic: false } field when IsThis(field.Instance, state) => field.Field.OriginalDefinition,
        IPropertyReferenceOperation { Property.IsStatic: false, Property.IsIndexer: false } property when IsThis(property.Instance, state) => property.Property.OriginalDefinition,
        // The graph captures an assignment's target when its value branches (`_f = a ?? b`).
        IFlowCaptureReferenceOperation capture => state.SlotCaptured(capture.Id),
        _ => null,
    };

    // `this`, also when the graph spilled it into a capture to keep the order of evaluation (`_f = a ?? b`).
    private static bool IsThis(IOperation? instance, State state) =>
        instance is IInstanceReferenceOperation || (instance is IFlowCaptureReferenceOperation capture && state.CapturesThis(capture.Id));

    /// <summary>The field whose value on entry <paramref name="operation"/> holds: a read of a field this path has not assigned, or a local or capture that read one.</summary>
    private static IFieldSymbol? Alias(IOperation operation, State state)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation switch
        {
            IFieldReferenceOperation when Slot(operation, state) is IFieldSymbol field && !state.Assigned.ContainsKey(field) => field,
            ILocalReferenceOperation local => state.AliasOf(local.Local),
            IFlowCaptureReferenceOperation capture => state.AliasOf(capture.Id),
            _ => null,
        };
    }

    /// <summary>The slot whose entry value a condition reads (a field, an unassigned auto-property, or an alias of a field).</summary>
    private static ISymbol? EntrySlot(IOperation operation, State state)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        if (Alias(operation, state) is { } field)
        {
            return field;
        }

        return operation is IPropertyReferenceOperation && Slot(operation, state) is IPropertySymbol property && !state.Assigned.ContainsKey(property) ? property : null;
    }

    private static Value ValueOf(IOperation value)
    {
        if (value.ConstantValue.HasValue)
        {
            return Value.Of(value.ConstantValue.Value);
        }

        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        return value is IObjectCreationOperation or IArrayCreationOperation ? Value.NotNull : Value.Unknown;
    }

    /// <summary>The state on the branch where <paramref name="condition"/> is <paramref name="outcome"/>; null when the path already knows otherwise.</summary>
    private static State? Learn(IOperation condition, bool outcome, State state)
    {
        condition = Conversions.Unwrap(condition);
        switch (condition)
        {
            case { ConstantValue: { HasValue: true, Value: bool constant } }:
                // `while (true)` has no way out through its condition.
                return constant == outcome ? state : null;
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return Learn(not.Operand, !outcome, state);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary:
            {
                var equal = (binary.OperatorKind == BinaryOperatorKind.Equals) == outcome;
                if (binary.RightOperand.ConstantValue.HasValue && EntrySlot(binary.LeftOperand, state) is { } left)
                {
                    return state.Check(new Constraint(left, equal, binary.RightOperand.ConstantValue.Value));
                }

                return binary.LeftOperand.ConstantValue.HasValue && EntrySlot(binary.RightOperand, state) is { } right
                    ? state.Check(new Constraint(right, equal, binary.LeftOperand.ConstantValue.Value))
                    : Touch(binary, state);
            }

            case IIsNullOperation isNull when EntrySlot(isNull.Operand, state) is { } slot:
                return state.Check(new Constraint(slot, outcome, null));
            case IIsPatternOperation isPattern when EntrySlot(isPattern.Value, state) is { } slot:
                return LearnPattern(isPattern.Pattern, slot, outcome, state);
            case { Type.SpecialType: SpecialType.System_Boolean } when EntrySlot(condition, state) is { } flag:
                return state.Check(new Constraint(flag, true, outcome));
            default:
                // `_size > 0`, `ReferenceEquals(_buffer, s_scratch)`, `IsDisposed()`: a check this pass cannot evaluate.
                return Touch(condition, state);
        }
    }

    /// <summary>Every slot <paramref name="operation"/> reads with its entry value counts as checked, in a way only an assignment of it can undo.</summary>
    private static State Touch(IOperation operation, State state)
    {
        foreach (var read in operation.DescendantsAndSelf())
        {
            if (read is IFieldReferenceOperation or IPropertyReferenceOperation && EntrySlot(read, state) is { } slot)
            {
                state = state.Check(Constraint.Opaque(slot)) ?? state;
            }
        }

        return state;
    }

    private static State? LearnPattern(IPatternOperation pattern, ISymbol slot, bool outcome, State state)
    {
        switch (pattern)
        {
            case INegatedPatternOperation negated:
                return LearnPattern(negated.Pattern, slot, !outcome, state);
            case IConstantPatternOperation { Value.ConstantValue: { HasValue: true } constant }:
                return state.Check(new Constraint(slot, outcome, constant.Value));
            default:
                var (whenTrue, whenFalse) = NullTests.PatternNullness(pattern);
                return (outcome ? whenTrue : whenFalse) switch
                {
                    Nullness.Null => state.Check(new Constraint(slot, true, null)),
                    Nullness.NotNull => state.Check(new Constraint(slot, false, null)),
                    _ => state.Check(Constraint.Opaque(slot)),
                };
        }
    }

    private static bool Discharged(Pending pending, State state)
    {
        if (state.Assigned.ContainsKey(pending.Field) || pending.RefPassed)
        {
            return true;
        }

        foreach (var check in pending.Checked)
        {
            if (state.Assigned.TryGetValue(check.Slot, out var value) && Contradicts(check, value))
            {
                return true;
            }

            // A computed property may read any field the path wrote.
            if (check.Slot is IPropertySymbol property && !IsAutoProperty(property) && !state.Assigned.IsEmpty)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsAutoProperty(IPropertySymbol property) =>
        property.ContainingType.GetMembers().Any(m => m is IFieldSymbol field && SymbolEqualityComparer.Default.Equals(field.AssociatedSymbol, property));

    // Whether a next call, starting from the assigned value, fails the check the path to the give-back passed.
    private static bool Contradicts(Constraint check, Value value) => check.IsOpaque || value.Kind switch
    {
        ValueKind.Constant => check.Equal != Equals(value.Constant, check.Constant),
        ValueKind.NotNull => !(check is { Equal: false, Constant: null }),
        _ => true,
    };

    private enum ValueKind
    {
        Unknown,
        Constant,
        NotNull,
    }

    private readonly struct Value : IEquatable<Value>
    {
        public static readonly Value Unknown = new(ValueKind.Unknown, null);

        public static readonly Value NotNull = new(ValueKind.NotNull, null);

        private Value(ValueKind kind, object? constant)
        {
            Kind = kind;
            Constant = constant;
        }

        public ValueKind Kind { get; }

        public object? Constant { get; }

        public static Value Of(object? constant) => new(ValueKind.Constant, constant);

        public bool Equals(Value other) => Kind == other.Kind && Equals(Constant, other.Constant);

        public override bool Equals(object? obj) => obj is Value other && Equals(other);

        public override int GetHashCode() => ((int)Kind * 397) ^ (Constant?.GetHashCode() ?? 0);
    }

    /// <summary>What a path learned about a slot's value on entry: it equals (or does not equal) a constant.</summary>
    private readonly struct Constraint : IEquatable<Constraint>
    {
        private static readonly object OpaqueMarker = new();

        public Constraint(ISymbol slot, bool equal, object? constant)
        {
            // x != true is x == false: one form per fact, so contradictions are seen.
            if (!equal && constant is bool flag)
            {
                equal = true;
                constant = !flag;
            }

            Slot = slot;
            Equal = equal;
            Constant = constant;
        }

        public ISymbol Slot { get; }

        /// <summary>A check of the slot that is not understood: any assignment of the slot may make a next call fail it.</summary>
        public bool IsOpaque => ReferenceEquals(Constant, OpaqueMarker);

        public bool Equal { get; }

        public object? Constant { get; }

        public static Constraint Opaque(ISymbol slot) => new(slot, equal: false, OpaqueMarker);

        public bool Equals(Constraint other) =>
            SymbolEqualityComparer.Default.Equals(Slot, other.Slot) && Equal == other.Equal && Equals(Constant, other.Constant);

        public override bool Equals(object? obj) => obj is Constraint other && Equals(other);

        public override int GetHashCode() => SymbolEqualityComparer.Default.GetHashCode(Slot) ^ (Equal ? 1 : 2) ^ (Constant?.GetHashCode() ?? 0);
    }

    /// <summary>A give-back of a field's entry value, with what the path had checked when it was reached.</summary>
    private sealed class Pending : IEquatable<Pending>
    {
        public Pending(IInvocationOperation giveBack, IFieldSymbol field, ImmutableHashSet<Constraint> @checked, bool refPassed)
        {
            GiveBack = giveBack;
            Field = field;
            Checked = @checked;
            RefPassed = refPassed;
        }

        public IInvocationOperation GiveBack { get; }

        public IFieldSymbol Field { get; }

        public ImmutableHashSet<Constraint> Checked { get; }

        public bool RefPassed { get; }

        public bool Equals(Pending? other) =>
            other is not null && ReferenceEquals(GiveBack, other.GiveBack) && SymbolEqualityComparer.Default.Equals(Field, other.Field)
            && RefPassed == other.RefPassed && Checked.SetEquals(other.Checked);

        public override bool Equals(object? obj) => Equals(obj as Pending);

        public override int GetHashCode() => GiveBack.GetHashCode() ^ Checked.Count;
    }

    private sealed class State : IEquatable<State>
    {
        public static readonly State Empty = new(
            ImmutableDictionary.Create<ISymbol, Value>(SymbolEqualityComparer.Default),
            ImmutableHashSet<Constraint>.Empty,
            ImmutableDictionary.Create<object, object>(KeyComparer.Instance, KeyComparer.Instance),
            ImmutableHashSet<Pending>.Empty,
            refPassed: false);

        private readonly ImmutableDictionary<object, object> _aliases;

        private State(ImmutableDictionary<ISymbol, Value> assigned, ImmutableHashSet<Constraint> @checked, ImmutableDictionary<object, object> aliases, ImmutableHashSet<Pending> pending, bool refPassed)
        {
            Assigned = assigned;
            Checked = @checked;
            _aliases = aliases;
            Pending = pending;
            RefPassed = refPassed;
        }

        /// <summary>The slots this path assigned, with the last value it gave them.</summary>
        public ImmutableDictionary<ISymbol, Value> Assigned { get; }

        public ImmutableHashSet<Constraint> Checked { get; }

        public ImmutableHashSet<Pending> Pending { get; }

        /// <summary>Whether a field of this instance was passed by reference (a check-and-set such as Interlocked.Exchange).</summary>
        public bool RefPassed { get; }

        public IFieldSymbol? AliasOf(object key) => _aliases.TryGetValue(key, out var field) ? field as IFieldSymbol : null;

        public ISymbol? SlotCaptured(CaptureId id) => _aliases.TryGetValue(new SlotCapture(id), out var slot) ? slot as ISymbol : null;

        public bool CapturesThis(CaptureId id) => _aliases.TryGetValue(id, out var value) && ReferenceEquals(value, This);

        /// <summary>The local or capture now holds the entry value of <paramref name="value"/> (a field), or <c>this</c>, or (null) neither.</summary>
        public State WithAlias(object key, object? value) =>
            new(Assigned, Checked, value is null ? _aliases.Remove(key) : _aliases.SetItem(key, value), Pending, RefPassed);

        public State Assign(ISymbol slot, Value value) => new(Assigned.SetItem(slot, value), Checked, _aliases, Pending, RefPassed);

        public State WithRefPassed() => new(Assigned, Checked, _aliases, Pending, refPassed: true);

        public State Owe(Pending pending) => new(Assigned, Checked, _aliases, Pending.Add(pending), RefPassed);

        /// <summary>The path with one more fact about a slot's entry value; null when it contradicts what the path knows.</summary>
        public State? Check(Constraint constraint)
        {
            foreach (var known in Checked)
            {
                if (known.IsOpaque || constraint.IsOpaque || !SymbolEqualityComparer.Default.Equals(known.Slot, constraint.Slot))
                {
                    continue;
                }

                var same = Equals(known.Constant, constraint.Constant);
                if ((known.Equal && constraint.Equal && !same) || (same && known.Equal != constraint.Equal))
                {
                    return null;
                }
            }

            return new State(Assigned, Checked.Add(constraint), _aliases, Pending, RefPassed);
        }

        public bool Equals(State? other)
        {
            if (other is null || RefPassed != other.RefPassed || Assigned.Count != other.Assigned.Count || _aliases.Count != other._aliases.Count
                || !Checked.SetEquals(other.Checked) || !Pending.SetEquals(other.Pending))
            {
                return false;
            }

            foreach (var pair in Assigned)
            {
                if (!other.Assigned.TryGetValue(pair.Key, out var value) || !value.Equals(pair.Value))
                {
                    return false;
                }
            }

            foreach (var pair in _aliases)
            {
                if (!other._aliases.TryGetValue(pair.Key, out var field) || !KeyComparer.Instance.Equals(field, pair.Value))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => Equals(obj as State);

        public override int GetHashCode() => (Assigned.Count * 31) ^ (Checked.Count * 17) ^ (_aliases.Count * 7) ^ Pending.Count ^ (RefPassed ? 1 << 20 : 0);
    }

    /// <summary>The key under which a capture of a field or property (as an assignment's target) is kept.</summary>
    private readonly struct SlotCapture : IEquatable<SlotCapture>
    {
        public SlotCapture(CaptureId id) => Id = id;

        public CaptureId Id { get; }

        public bool Equals(SlotCapture other) => Id.Equals(other.Id);

        public override bool Equals(object? obj) => obj is SlotCapture other && Equals(other);

        public override int GetHashCode() => Id.GetHashCode() * 31;
    }

    /// <summary>Locals by symbol, flow captures by id.</summary>
    private sealed class KeyComparer : IEqualityComparer<object>
    {
        public static readonly KeyComparer Instance = new();

        public new bool Equals(object? x, object? y) =>
            x is ISymbol a && y is ISymbol b ? SymbolEqualityComparer.Default.Equals(a, b) : object.Equals(x, y);

        public int GetHashCode(object obj) => obj is ISymbol symbol ? SymbolEqualityComparer.Default.GetHashCode(symbol) : obj.GetHashCode();
    }

    /// <summary>Where a finally region returns to: the branch that entered it, and its next finally region.</summary>
    private readonly struct Continuation : IEquatable<Continuation>
    {
        public Continuation(ControlFlowBranch branch, int nextRegion)
        {
            Branch = branch;
            NextRegion = nextRegion;
        }

        public ControlFlowBranch Branch { get; }

        public int NextRegion { get; }

        public bool Equals(Continuation other) => ReferenceEquals(Branch, other.Branch) && NextRegion == other.NextRegion;

        public override bool Equals(object? obj) => obj is Continuation other && Equals(other);

        public override int GetHashCode() => Branch.GetHashCode() ^ NextRegion;
    }

    private sealed class Item : IEquatable<Item>
    {
        public Item(BasicBlock block, State state, ImmutableStack<Continuation> finallies)
        {
            Block = block;
            State = state;
            Finallies = finallies;
        }

        public BasicBlock Block { get; }

        public State State { get; }

        public ImmutableStack<Continuation> Finallies { get; }

        public bool Equals(Item? other) =>
            other is not null && Block.Ordinal == other.Block.Ordinal && State.Equals(other.State) && Finallies.SequenceEqual(other.Finallies);

        public override bool Equals(object? obj) => Equals(obj as Item);

        public override int GetHashCode() => (Block.Ordinal * 7919) ^ State.GetHashCode();
    }
}
