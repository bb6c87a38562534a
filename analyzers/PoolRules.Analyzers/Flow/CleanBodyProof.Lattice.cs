using System;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers.Flow;

/// <summary>The proof's page transitions and its lattice: a byte of page-state bits per tracked page; see CleanBodyProof.cs.</summary>
internal sealed partial class CleanBodyProof
{
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

    /// <summary>
    /// The drain idiom: a page read from a slot that is then overwritten belongs to this method from the read on. The
    /// engine takes fewer (only reads still linked to the slot, never the page written back, <paramref name="stored"/>);
    /// taking every read of the slot over-approximates it.
    /// </summary>
    private void TakeFromSlot(IOperation target, int stored)
    {
        // The slot's key is text built from the target: made only when some borrowed page was read from a slot.
        string? key = null;
        for (var id = 0; id < _keys.Count; id++)
        {
            if (id == stored)
            {
                continue;
            }

            var mask = _state.Get(id);
            if (!Has(mask, Mask.Borrowed) || _slots[id] is not { } slot)
            {
                continue;
            }

            if ((key ??= PageFlowRun.SlotKey(target)) is null)
            {
                return;
            }

            if (slot == key || ReferenceEquals(slot, AnySlot))
            {
                // Every read of the slot is taken, more than the engine takes: no leak of this body can be named exactly.
                _reportLeaks = false;
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
        _takes.Add(null);
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

        if (a is IPropertyReferenceOperation { Instance: null, Arguments.IsEmpty: true } propertyA
            && b is IPropertyReferenceOperation { Instance: null, Arguments.IsEmpty: true } propertyB
            && SymbolEqualityComparer.Default.Equals(propertyA.Property, propertyB.Property))
        {
            // ArrayPool<byte>.Shared both times (the type argument is part of the property).
            return true;
        }

        var keyA = PoolKeys.Of(a, _known)?.Key;
        var keyB = PoolKeys.Of(b, _known)?.Key;
        return keyA is null || keyB is null ? orUnnamed : keyA == keyB;
    }

    private static string? Merge(string? known, string? added, string conflict) =>
        added is null || known == added ? known : known is null ? added : conflict;

    /// <summary>Benchmarks only (<c>proof-coverage</c>): record where the proof gave up on the last body.</summary>
    internal static bool TraceGiveUps { get; set; }

    [ThreadStatic]
    private static string? s_lastGiveUp;

    /// <summary>Where the proof gave up on this thread's last body (file:line of the <see cref="Fail"/>), when traced.</summary>
    internal static string? LastGiveUp { get => s_lastGiveUp; set => s_lastGiveUp = value; }

    private Value Fail([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (TraceGiveUps && !_failed)
        {
            s_lastGiveUp = $"{System.IO.Path.GetFileNameWithoutExtension(file)}:{line}";
        }

        _failed = true;
        _state = State.Dead;
        return Value.None;
    }

    private static bool Has(Mask mask, Mask flag) => (mask & flag) != 0;

    // ---- lattice -------------------------------------------------------------------------------------------------

    /// <summary>What a variable's allocation is when it may hold the pages of two (see AssignLocal).</summary>
    private static readonly object TwoTakes = new();

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
        public Jump(JumpKind kind, ILabelSymbol? target, State state, SyntaxNode? at = null)
        {
            Kind = kind;
            Target = target;
            State = state;
            At = at;
        }

        public JumpKind Kind { get; }

        public ILabelSymbol? Target { get; }

        public State State { get; }

        /// <summary>For a return with a value or a throw outside every try: the statement (or throw expression) a leak there is reported at.</summary>
        public SyntaxNode? At { get; }

        public Jump With(State state) => new(Kind, Target, state, At);
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
