using System.Collections.Generic;

namespace PoolRules.Analyzers.Flow;

/// <summary>
/// The lattice element at one program point: which origins each variable (local, parameter or flow capture) may
/// point at, and the set of possible states of each origin. A missing origin is <see cref="PageState.NotAllocated"/>.
/// </summary>
internal sealed class FlowState
{
    /// <summary>The reference set member that stands for null.</summary>
    public const int NullRef = -1;

    public static readonly SmallSet<int> NoRefs = SmallSet<int>.Empty;
    public static readonly SmallSet<int> OnlyNull = SmallSet.Create(NullRef);

    private static readonly SmallSet<PageFact> OnlyNotAllocated = SmallSet.Create(PageFact.NotAllocated);

    public FlowState()
    {
        Vars = new Dictionary<object, SmallSet<int>>(PositionKeys.Instance);
        Pages = new Dictionary<int, SmallSet<PageFact>>();
    }

    private FlowState(FlowState other)
    {
        Vars = new Dictionary<object, SmallSet<int>>(other.Vars, PositionKeys.Instance);
        Pages = new Dictionary<int, SmallSet<PageFact>>(other.Pages);
    }

    public Dictionary<object, SmallSet<int>> Vars { get; }

    public Dictionary<int, SmallSet<PageFact>> Pages { get; }

    public FlowState Clone() => new(this);

    /// <summary>
    /// Sets what a variable points at. A variable that points at nothing is left out: most locals and flow captures
    /// hold no page, and every block's copy of the state would carry them.
    /// </summary>
    public void SetVar(object key, SmallSet<int> refs)
    {
        if (refs.IsEmpty)
        {
            Vars.Remove(key);
        }
        else
        {
            Vars[key] = refs;
        }
    }

    public SmallSet<PageFact> Facts(int origin) =>
        Pages.TryGetValue(origin, out var facts) ? facts : OnlyNotAllocated;

    /// <summary>Joins <paramref name="source"/> into <paramref name="target"/>; true when the target grew.</summary>
    public static bool JoinInto(FlowState target, FlowState source)
    {
        var changed = false;
        foreach (var pair in source.Vars)
        {
            if (target.Vars.TryGetValue(pair.Key, out var existing))
            {
                var union = existing.Union(pair.Value);
                if (union.Count != existing.Count)
                {
                    target.Vars[pair.Key] = union;
                    changed = true;
                }
            }
            else
            {
                target.Vars[pair.Key] = pair.Value;
                changed = true;
            }
        }

        foreach (var pair in source.Pages)
        {
            if (target.Pages.TryGetValue(pair.Key, out var existing))
            {
                var union = existing.Union(pair.Value);
                if (union.Count != existing.Count)
                {
                    target.Pages[pair.Key] = union;
                    changed = true;
                }
            }
            else
            {
                target.Pages[pair.Key] = pair.Value.Add(PageFact.NotAllocated);
                changed = true;
            }
        }

        List<int>? missing = null;
        foreach (var pair in target.Pages)
        {
            if (!source.Pages.ContainsKey(pair.Key) && !pair.Value.Contains(PageFact.NotAllocated))
            {
                (missing ??= new List<int>()).Add(pair.Key);
            }
        }

        if (missing is not null)
        {
            foreach (var key in missing)
            {
                target.Pages[key] = target.Pages[key].Add(PageFact.NotAllocated);
            }

            changed = true;
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
