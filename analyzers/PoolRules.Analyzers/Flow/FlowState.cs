using System;
using System.Collections.Generic;

namespace PoolRules.Analyzers.Flow;

/// <summary>
/// The variables (locals, parameters, flow captures) one run has seen, numbered in the order it first saw them, so that
/// a <see cref="FlowState"/> can keep them in an array: every block's state is a copy, and copying two arrays is far
/// cheaper than copying two dictionaries.
/// </summary>
internal sealed class VarTable
{
    private readonly Dictionary<object, int> _index = new(PositionKeys.Instance);
    private readonly List<object> _keys = new();

    public object this[int index] => _keys[index];

    public bool TryIndexOf(object key, out int index) => _index.TryGetValue(key, out index);

    public int IndexOf(object key)
    {
        if (!_index.TryGetValue(key, out var index))
        {
            index = _keys.Count;
            _keys.Add(key);
            _index[key] = index;
        }

        return index;
    }
}

/// <summary>
/// The lattice element at one program point: which origins each variable (local, parameter or flow capture) may
/// point at, and the set of possible states of each origin. A variable that points at nothing and an origin that is
/// absent (<see cref="PageState.NotAllocated"/>) are both an empty slot: a page's facts, once present, are never empty.
/// </summary>
internal sealed class FlowState
{
    /// <summary>The reference set member that stands for null.</summary>
    public const int NullRef = -1;

    public static readonly SmallSet<int> NoRefs = SmallSet<int>.Empty;
    public static readonly SmallSet<int> OnlyNull = SmallSet.Create(NullRef);

    private static readonly SmallSet<PageFact> OnlyNotAllocated = SmallSet.Create(PageFact.NotAllocated);

    private readonly VarTable _table;
    private SmallSet<int>[] _vars;
    private SmallSet<PageFact>[] _pages;

    public FlowState(VarTable table)
    {
        _table = table;
        _vars = Array.Empty<SmallSet<int>>();
        _pages = Array.Empty<SmallSet<PageFact>>();
    }

    private FlowState(FlowState other)
    {
        _table = other._table;
        _vars = other._vars.Length == 0 ? other._vars : (SmallSet<int>[])other._vars.Clone();
        _pages = other._pages.Length == 0 ? other._pages : (SmallSet<PageFact>[])other._pages.Clone();
    }

    /// <summary>Variable slots to enumerate with <see cref="VarAt"/> and <see cref="KeyAt"/> (an empty slot holds nothing).</summary>
    public int VarSlots => _vars.Length;

    /// <summary>Origin slots to enumerate with <see cref="TryGetPage"/>.</summary>
    public int PageSlots => _pages.Length;

    public FlowState Clone() => new(this);

    public SmallSet<int> VarAt(int slot) => _vars[slot];

    public object KeyAt(int slot) => _table[slot];

    public SmallSet<int> Var(object key) => TryGetVar(key, out var refs) ? refs : NoRefs;

    public bool TryGetVar(object key, out SmallSet<int> refs)
    {
        if (_table.TryIndexOf(key, out var slot) && slot < _vars.Length && !_vars[slot].IsEmpty)
        {
            refs = _vars[slot];
            return true;
        }

        refs = NoRefs;
        return false;
    }

    /// <summary>Sets what a variable points at; most locals and flow captures hold no page and take no slot.</summary>
    public void SetVar(object key, SmallSet<int> refs)
    {
        if (refs.IsEmpty)
        {
            if (_table.TryIndexOf(key, out var empty) && empty < _vars.Length)
            {
                _vars[empty] = NoRefs;
            }

            return;
        }

        var slot = _table.IndexOf(key);
        if (slot >= _vars.Length)
        {
            Array.Resize(ref _vars, Math.Max(slot + 1, _vars.Length * 2));
        }

        _vars[slot] = refs;
    }

    public SmallSet<PageFact> Facts(int origin) =>
        origin < _pages.Length && !_pages[origin].IsEmpty ? _pages[origin] : OnlyNotAllocated;

    public bool TryGetPage(int origin, out SmallSet<PageFact> facts)
    {
        facts = origin < _pages.Length ? _pages[origin] : default;
        return !facts.IsEmpty;
    }

    public void SetPage(int origin, SmallSet<PageFact> facts)
    {
        if (origin >= _pages.Length)
        {
            Array.Resize(ref _pages, Math.Max(origin + 1, _pages.Length * 2));
        }

        _pages[origin] = facts;
    }

    public void RemovePage(int origin)
    {
        if (origin < _pages.Length)
        {
            _pages[origin] = default;
        }
    }

    /// <summary>Joins <paramref name="source"/> into <paramref name="target"/>; true when the target grew.</summary>
    public static bool JoinInto(FlowState target, FlowState source)
    {
        var changed = false;
        for (var slot = 0; slot < source._vars.Length; slot++)
        {
            var added = source._vars[slot];
            if (added.IsEmpty)
            {
                continue;
            }

            if (slot >= target._vars.Length)
            {
                Array.Resize(ref target._vars, source._vars.Length);
            }

            var existing = target._vars[slot];
            var union = existing.Union(added);
            if (union.Count != existing.Count)
            {
                target._vars[slot] = union;
                changed = true;
            }
        }

        if (source._pages.Length > target._pages.Length)
        {
            Array.Resize(ref target._pages, source._pages.Length);
        }

        for (var origin = 0; origin < target._pages.Length; origin++)
        {
            var existing = target._pages[origin];
            var added = origin < source._pages.Length ? source._pages[origin] : default;
            if (added.IsEmpty)
            {
                // The page exists on the target's paths only: on the source's it was not allocated.
                if (!existing.IsEmpty && !existing.Contains(PageFact.NotAllocated))
                {
                    target._pages[origin] = existing.Add(PageFact.NotAllocated);
                    changed = true;
                }
            }
            else if (existing.IsEmpty)
            {
                target._pages[origin] = added.Add(PageFact.NotAllocated);
                changed = true;
            }
            else
            {
                var union = existing.Union(added);
                if (union.Count != existing.Count)
                {
                    target._pages[origin] = union;
                    changed = true;
                }
            }
        }

        return changed;
    }

    public static FlowState? Join(IEnumerable<FlowState> states)
    {
        FlowState? result = null;
        foreach (var state in states)
        {
            if (result is null)
            {
                result = state.Clone();
            }
            else
            {
                JoinInto(result, state);
            }
        }

        return result;
    }
}
