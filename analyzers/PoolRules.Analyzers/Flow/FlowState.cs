using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace PoolRules.Analyzers.Flow;

/// <summary>
/// The lattice element at one program point: which origins each variable (local, parameter or flow capture) may
/// point at, and the set of possible states of each origin. A missing origin is <see cref="PageState.NotAllocated"/>.
/// </summary>
internal sealed class FlowState
{
    /// <summary>The reference set member that stands for null.</summary>
    public const int NullRef = -1;

    public static readonly ImmutableHashSet<int> NoRefs = ImmutableHashSet<int>.Empty;
    public static readonly ImmutableHashSet<int> OnlyNull = ImmutableHashSet.Create(NullRef);

    public FlowState()
    {
        Vars = new Dictionary<object, ImmutableHashSet<int>>();
        Pages = new Dictionary<int, ImmutableHashSet<PageFact>>();
    }

    private FlowState(FlowState other)
    {
        Vars = new Dictionary<object, ImmutableHashSet<int>>(other.Vars);
        Pages = new Dictionary<int, ImmutableHashSet<PageFact>>(other.Pages);
    }

    public Dictionary<object, ImmutableHashSet<int>> Vars { get; }

    public Dictionary<int, ImmutableHashSet<PageFact>> Pages { get; }

    public FlowState Clone() => new(this);

    public ImmutableHashSet<PageFact> Facts(int origin) =>
        Pages.TryGetValue(origin, out var facts) ? facts : ImmutableHashSet.Create(PageFact.NotAllocated);

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

        foreach (var key in target.Pages.Keys.Where(k => !source.Pages.ContainsKey(k)).ToList())
        {
            var existing = target.Pages[key];
            if (!existing.Contains(PageFact.NotAllocated))
            {
                target.Pages[key] = existing.Add(PageFact.NotAllocated);
                changed = true;
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
