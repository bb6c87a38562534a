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
        var table = new VarTable();
        var target = new FlowState(table);
        var source = new FlowState(table);
        source.SetPage(0, SmallSet.Create(Owned));

        Assert.True(FlowState.JoinInto(target, source));

        Assert.Equal(SmallSet.Create(Owned, PageFact.NotAllocated), target.Facts(0));
    }

    [Fact]
    public void Join_keeps_every_possible_state_and_reports_no_change_when_nothing_grows()
    {
        var table = new VarTable();
        var target = new FlowState(table);
        target.SetPage(0, SmallSet.Create(Owned));
        target.SetVar("page", SmallSet.Create(0));
        var source = new FlowState(table);
        source.SetPage(0, SmallSet.Create(Put));
        source.SetVar("page", SmallSet.Create(0, FlowState.NullRef));

        Assert.True(FlowState.JoinInto(target, source));
        Assert.False(FlowState.JoinInto(target, source));

        Assert.Equal(SmallSet.Create(Owned, Put), target.Facts(0));
        Assert.Equal(SmallSet.Create(0, FlowState.NullRef), target.Var("page"));
    }

    [Fact]
    public void Page_only_in_the_target_becomes_possibly_not_allocated()
    {
        var table = new VarTable();
        var target = new FlowState(table);
        target.SetPage(3, SmallSet.Create(Owned));

        Assert.True(FlowState.JoinInto(target, new FlowState(table)));

        Assert.True(target.Facts(3).Contains(PageFact.NotAllocated));
        Assert.Equal(SmallSet.Create(PageFact.NotAllocated), new FlowState(table).Facts(7));
    }

    [Fact]
    public void Clone_is_independent_of_the_original()
    {
        var table = new VarTable();
        var state = new FlowState(table);
        state.SetPage(0, SmallSet.Create(Owned));
        state.SetVar("page", SmallSet.Create(0));
        var clone = state.Clone();

        clone.SetPage(0, SmallSet.Create(Put));
        clone.SetVar("page", FlowState.OnlyNull);

        Assert.Equal(SmallSet.Create(Owned), state.Facts(0));
        Assert.Equal(SmallSet.Create(0), state.Var("page"));
    }

    [Fact]
    public void A_variable_set_to_nothing_holds_nothing_and_a_removed_page_is_not_allocated()
    {
        var state = new FlowState(new VarTable());
        state.SetVar("page", SmallSet.Create(0));
        state.SetPage(0, SmallSet.Create(Owned));

        state.SetVar("page", FlowState.NoRefs);
        state.RemovePage(0);

        Assert.False(state.TryGetVar("page", out _));
        Assert.False(state.TryGetPage(0, out _));
        Assert.Equal(SmallSet.Create(PageFact.NotAllocated), state.Facts(0));
    }
}
