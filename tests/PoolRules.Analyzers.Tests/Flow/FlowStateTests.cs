using PoolRules.Analyzers.Flow;
using Xunit;

namespace PoolRules.Analyzers.Tests.Flow;

public sealed class FlowStateTests
{
    private static readonly PageFact Owned = new(PageState.Owned, null);
    private static readonly PageFact Put = new(PageState.Put, null);

    [Fact]
    public void Join_of_a_page_missing_on_one_path_adds_not_allocated()
    {
        var target = new FlowState();
        var source = new FlowState();
        source.Pages[0] = SmallSet.Create(Owned);

        Assert.True(FlowState.JoinInto(target, source));

        Assert.Equal(SmallSet.Create(Owned, PageFact.NotAllocated), target.Pages[0]);
    }

    [Fact]
    public void Join_keeps_every_possible_state_and_reports_no_change_when_nothing_grows()
    {
        var target = new FlowState();
        target.Pages[0] = SmallSet.Create(Owned);
        target.Vars["page"] = SmallSet.Create(0);
        var source = new FlowState();
        source.Pages[0] = SmallSet.Create(Put);
        source.Vars["page"] = SmallSet.Create(0, FlowState.NullRef);

        Assert.True(FlowState.JoinInto(target, source));
        Assert.False(FlowState.JoinInto(target, source));

        Assert.Equal(SmallSet.Create(Owned, Put), target.Pages[0]);
        Assert.Equal(SmallSet.Create(0, FlowState.NullRef), target.Vars["page"]);
    }

    [Fact]
    public void Page_only_in_the_target_becomes_possibly_not_allocated()
    {
        var target = new FlowState();
        target.Pages[3] = SmallSet.Create(Owned);

        Assert.True(FlowState.JoinInto(target, new FlowState()));

        Assert.True(target.Pages[3].Contains(PageFact.NotAllocated));
        Assert.Equal(SmallSet.Create(PageFact.NotAllocated), new FlowState().Facts(7));
    }

    [Fact]
    public void Clone_is_independent_of_the_original()
    {
        var state = new FlowState();
        state.Pages[0] = SmallSet.Create(Owned);
        var clone = state.Clone();

        clone.Pages[0] = SmallSet.Create(Put);

        Assert.Equal(SmallSet.Create(Owned), state.Pages[0]);
    }
}
