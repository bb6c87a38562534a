using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0006InvalidPoolParamsAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0006InvalidPoolParamsTests : RuleFaults
{
    private const string Device = """
        sealed class Dev : IDmaDevice
        {
            public ulong Map(Page page, int offset, int length, DmaDirection dir) => 0;
            public void Unmap(ulong addr, int length, DmaDirection dir) { }
            public void SyncForDevice(ulong addr, int offset, int length, DmaDirection dir) { }
            public void SyncForCpu(ulong addr, int offset, int length, DmaDirection dir) { }
        }
        """;

    // Positive: each refusal of PagePool.Create, reported on the assignment that causes it.

    [Fact]
    public Task DmaSyncDevice_without_DmaMap_is_reported_on_Flags() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams
            {
                {|PP0006:Flags = PagePoolFlags.DmaSyncDevice|},
                MaxLength = 1500,
            });
        }
        """);

    [Fact]
    public Task DmaSyncDevice_with_MaxLength_unset_is_reported_on_Flags() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create(IDmaDevice dev) => PagePool.Create(new PagePoolParams
            {
                {|PP0006:Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice|},
                Device = dev,
            });
        }
        """);

    [Fact]
    public Task DmaSyncDevice_with_MaxLength_zero_is_reported_on_MaxLength() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create(IDmaDevice dev) => PagePool.Create(new PagePoolParams
            {
                Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
                Device = dev,
                {|PP0006:MaxLength = 0|},
            });
        }
        """);

    [Fact]
    public Task PoolSize_over_32768_is_reported() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams { {|PP0006:PoolSize = 32769|} });
        }
        """);

    [Fact]
    public Task Negative_PoolSize_is_reported() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams { {|PP0006:PoolSize = -1|} });
        }
        """);

    [Fact]
    public Task DmaMap_with_ToDevice_direction_is_reported_on_DmaDirection() => V.AnalyzerAsync(Device + """
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams
            {
                Flags = PagePoolFlags.DmaMap,
                Device = new Dev(),
                {|PP0006:DmaDirection = DmaDirection.ToDevice|},
            });
        }
        """);

    [Fact]
    public Task DmaMap_with_None_direction_is_reported_on_DmaDirection() => V.AnalyzerAsync(Device + """
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams
            {
                Flags = PagePoolFlags.DmaMap,
                Device = new Dev(),
                {|PP0006:DmaDirection = DmaDirection.None|},
            });
        }
        """);

    [Fact]
    public Task Order_above_MaxOrder_is_reported() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams { {|PP0006:Order = 11|} });
        }
        """);

    [Fact]
    public Task Negative_order_is_reported() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams { {|PP0006:Order = -1|} });
        }
        """);

    [Fact]
    public Task Constant_through_a_never_written_local_is_judged() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create()
            {
                var order = 12;
                return PagePool.Create(new PagePoolParams { {|PP0006:Order = order|} });
            }
        }
        """);

    [Fact]
    public Task Constant_through_a_const_local_and_const_field_is_judged() => V.AnalyzerAsync("""
        class Driver
        {
            private const int RingSize = 65536;

            PagePool Create()
            {
                const PagePoolFlags flags = PagePoolFlags.DmaSyncDevice;
                return PagePool.Create(new PagePoolParams { {|PP0006:Flags = flags|}, MaxLength = 2048, {|PP0006:PoolSize = RingSize|} });
            }
        }
        """);

    [Fact]
    public Task DmaMap_without_Device_is_reported_on_Flags_or_on_Device_null() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool NoDevice() => PagePool.Create(new PagePoolParams { {|PP0006:Flags = PagePoolFlags.DmaMap|} });

            PagePool NullDevice() => PagePool.Create(new PagePoolParams { Flags = PagePoolFlags.DmaMap, {|PP0006:Device = null|} });
        }
        """);

    [Fact]
    public Task Offset_and_MaxLength_outside_the_page_are_reported() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool OffsetOut() => PagePool.Create(new PagePoolParams { {|PP0006:Offset = 4096|} });

            PagePool LengthOut() => PagePool.Create(new PagePoolParams { Order = 1, Offset = 256, {|PP0006:MaxLength = 8000|} });
        }
        """);

    [Fact]
    public Task Nid_below_NoNode_and_unknown_flag_bits_are_reported() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams { {|PP0006:Nid = -2|}, {|PP0006:Flags = (PagePoolFlags)4|} });
        }
        """);

    [Fact]
    public Task Non_positive_shutdown_periods_are_reported() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams
            {
                {|PP0006:ShutdownRetryPeriod = TimeSpan.Zero|},
                {|PP0006:ShutdownWarnPeriod = TimeSpan.FromSeconds(-1)|},
            });
        }
        """);

    [Fact]
    public Task Target_typed_new_is_judged_too() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create() => PagePool.Create(new() { {|PP0006:Order = 20|} });
        }
        """);

    [Fact]
    public Task Message_lists_every_refusal_of_one_assignment() => V.AnalyzerAsync(
        """
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams { {|#0:Flags = PagePoolFlags.DmaSyncDevice|} });
        }
        """,
        V.Diagnostic("PP0006").WithLocation(0).WithArguments(
            "DmaSyncDevice needs DmaMap: the pool syncs the mapping it made; DmaSyncDevice needs MaxLength, the length to sync, and MaxLength is not set"));

    // Negative: what Create accepts, and what the analyzer cannot know.

    [Fact]
    public Task Typical_driver_params_are_fine() => V.AnalyzerAsync(Device + """
        class Driver
        {
            PagePool Create(Napi napi) => PagePool.Create(new PagePoolParams
            {
                Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
                Order = 0,
                PoolSize = 256,
                Nid = NumaNode.NoNode,
                Device = new Dev(),
                DmaDirection = DmaDirection.FromDevice,
                Offset = 256,
                MaxLength = 4096 - 256,
                Napi = napi,
                Name = "eth0-rx0",
            });
        }
        """);

    [Fact]
    public Task Empty_params_use_valid_defaults() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool A() => PagePool.Create(new PagePoolParams());
            PagePool B() => PagePool.Create(new PagePoolParams { });
        }
        """);

    [Fact]
    public Task DmaMap_with_default_direction_is_bidirectional_and_fine() => V.AnalyzerAsync(Device + """
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams { Flags = PagePoolFlags.DmaMap, Device = new Dev() });
        }
        """);

    [Fact]
    public Task Boundary_values_are_fine() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Max() => PagePool.Create(new PagePoolParams { PoolSize = 32768, Order = 10, Nid = -1 });
            PagePool Min() => PagePool.Create(new PagePoolParams { PoolSize = 0, Order = 0, Nid = 0 });
        }
        """);

    [Fact]
    public Task Non_constant_values_are_not_judged() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create(int order, int size, PagePoolFlags flags) => PagePool.Create(new PagePoolParams
            {
                Order = order,
                PoolSize = size,
                Flags = flags,
            });
        }
        """);

    [Fact]
    public Task Local_written_again_is_not_a_constant() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create(bool big)
            {
                var order = 12;
                if (!big)
                {
                    order = 0;
                }

                return PagePool.Create(new PagePoolParams { Order = order });
            }
        }
        """);

    [Fact]
    public Task Local_passed_by_ref_is_not_a_constant() => V.AnalyzerAsync("""
        class Driver
        {
            static void Shrink(ref int size) => size /= 2;

            PagePool Create()
            {
                var size = 40000;
                Shrink(ref size);
                return PagePool.Create(new PagePoolParams { PoolSize = size });
            }
        }
        """);

    [Fact]
    public Task DmaSyncDevice_with_non_constant_MaxLength_is_not_judged() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create(IDmaDevice dev, int mtu) => PagePool.Create(new PagePoolParams
            {
                Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
                Device = dev,
                MaxLength = mtu,
            });
        }
        """);

    [Fact]
    public Task Direction_other_than_FromDevice_is_fine_without_DmaMap() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams { DmaDirection = DmaDirection.ToDevice });
        }
        """);

    [Fact]
    public Task Device_from_a_call_is_assumed_present() => V.AnalyzerAsync("""
        class Driver
        {
            static IDmaDevice? Find() => null;

            PagePool Create() => PagePool.Create(new PagePoolParams { Flags = PagePoolFlags.DmaMap, Device = Find() });
        }
        """);

    [Fact]
    public Task Large_order_allows_larger_offsets_and_lengths() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create() => PagePool.Create(new PagePoolParams { Order = 2, Offset = 8192, MaxLength = 8192 });
        }
        """);

    [Fact]
    public Task Positive_shutdown_periods_and_unknown_ones_are_fine() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool Create(TimeSpan period) => PagePool.Create(new PagePoolParams
            {
                ShutdownRetryPeriod = TimeSpan.FromMilliseconds(10),
                ShutdownWarnPeriod = period,
            });
        }
        """);

    [Fact]
    public Task Other_types_with_the_same_property_names_are_ignored() => V.AnalyzerAsync("""
        class Options
        {
            public int Order { get; init; }
            public int PoolSize { get; init; }
        }

        class Driver
        {
            Options Create() => new Options { Order = 99, PoolSize = -5 };
        }
        """);

    [Fact]
    public Task Invalid_values_outside_an_initializer_are_not_guessed() => V.AnalyzerAsync("""
        class Driver
        {
            int Order() => 11;

            PagePool Create() => PagePool.Create(new PagePoolParams { Order = Order() });
        }
        """);
}
