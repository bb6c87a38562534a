using System.Threading.Tasks;
using PoolRules.CodeFixes;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0006InvalidPoolParamsAnalyzer, PoolRules.CodeFixes.PP0006PoolParamsCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0006PoolParamsCodeFixTests
{
    [Fact]
    public Task Sync_without_map_gets_DmaMap_added()
    {
        const string source = """
            class Driver
            {
                PagePool Open(IDmaDevice dev) => PagePool.Create(new PagePoolParams
                {
                    {|PP0006:Flags = PagePoolFlags.DmaSyncDevice|},
                    Device = dev,
                    DmaDirection = DmaDirection.FromDevice,
                    MaxLength = 2048,
                });
            }
            """;
        const string fixedSource = """
            class Driver
            {
                PagePool Open(IDmaDevice dev) => PagePool.Create(new PagePoolParams
                {
                    Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
                    Device = dev,
                    DmaDirection = DmaDirection.FromDevice,
                    MaxLength = 2048,
                });
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.AddDmaMap);
    }

    [Fact]
    public Task Missing_MaxLength_is_added_after_Flags_as_the_page_size()
    {
        const string source = """
            class Driver
            {
                PagePool Open(IDmaDevice dev) => PagePool.Create(new PagePoolParams
                {
                    {|PP0006:Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice|},
                    Device = dev,
                    DmaDirection = DmaDirection.FromDevice,
                });
            }
            """;
        const string fixedSource = """
            class Driver
            {
                PagePool Open(IDmaDevice dev) => PagePool.Create(new PagePoolParams
                {
                    Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
                    MaxLength = PageAllocator.PageSize,
                    Device = dev,
                    DmaDirection = DmaDirection.FromDevice,
                });
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.SetMaxLength);
    }

    [Fact]
    public Task MaxLength_zero_becomes_the_page_size()
    {
        const string source = """
            class Driver
            {
                PagePool Open(IDmaDevice dev) => PagePool.Create(new PagePoolParams
                {
                    Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
                    Device = dev,
                    {|PP0006:MaxLength = 0|},
                });
            }
            """;
        const string fixedSource = """
            class Driver
            {
                PagePool Open(IDmaDevice dev) => PagePool.Create(new PagePoolParams
                {
                    Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
                    Device = dev,
                    MaxLength = PageAllocator.PageSize,
                });
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.SetMaxLength);
    }

    [Fact]
    public Task MaxLength_leaves_room_for_the_headroom_offset()
    {
        const string source = """
            class Driver
            {
                const int Headroom = 256;

                PagePool Open(IDmaDevice dev) => PagePool.Create(new PagePoolParams
                {
                    Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
                    Device = dev,
                    Offset = Headroom,
                    {|PP0006:MaxLength = 0|},
                });
            }
            """;
        const string fixedSource = """
            class Driver
            {
                const int Headroom = 256;

                PagePool Open(IDmaDevice dev) => PagePool.Create(new PagePoolParams
                {
                    Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
                    Device = dev,
                    Offset = Headroom,
                    MaxLength = PageAllocator.PageSize - Headroom,
                });
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.SetMaxLength);
    }

    [Fact]
    public Task MaxLength_of_a_higher_order_page_shifts_the_page_size()
    {
        const string source = """
            class Driver
            {
                PagePool Open(IDmaDevice dev) => PagePool.Create(new PagePoolParams
                {
                    Order = 2,
                    {|PP0006:Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice|},
                    Device = dev,
                });
            }
            """;
        const string fixedSource = """
            class Driver
            {
                PagePool Open(IDmaDevice dev) => PagePool.Create(new PagePoolParams
                {
                    Order = 2,
                    Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
                    MaxLength = PageAllocator.PageSize << 2,
                    Device = dev,
                });
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.SetMaxLength);
    }

    [Fact]
    public Task Sync_flag_alone_gets_both_the_map_flag_and_the_length()
    {
        const string source = """
            class Driver
            {
                PagePool Open(IDmaDevice dev) => PagePool.Create(new PagePoolParams
                {
                    {|PP0006:Flags = PagePoolFlags.DmaSyncDevice|},
                    Device = dev,
                });
            }
            """;
        const string fixedSource = """
            class Driver
            {
                PagePool Open(IDmaDevice dev) => PagePool.Create(new PagePoolParams
                {
                    Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice,
                    MaxLength = PageAllocator.PageSize,
                    Device = dev,
                });
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.AddDmaMapAndMaxLength);
    }

    [Fact]
    public Task Cpu_only_pool_with_the_sync_flag_loses_the_flag_because_without_a_device_it_cannot_map()
    {
        // Adding DmaMap would need a Device the pool does not have; that fix is not offered.
        const string source = """
            class Driver
            {
                PagePool Copies(Napi napi) => PagePool.Create(new PagePoolParams
                {
                    {|PP0006:Flags = PagePoolFlags.DmaSyncDevice|},
                    PoolSize = 256,
                    Napi = napi,
                });
            }
            """;
        const string fixedSource = """
            class Driver
            {
                PagePool Copies(Napi napi) => PagePool.Create(new PagePoolParams
                {
                    Flags = PagePoolFlags.None,
                    PoolSize = 256,
                    Napi = napi,
                });
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.RemoveDmaSync);
    }

    [Fact]
    public Task Fix_all_adds_DmaMap_in_every_document()
    {
        const string first = """
            class First
            {
                PagePool A(IDmaDevice dev) => PagePool.Create(new PagePoolParams { {|PP0006:Flags = PagePoolFlags.DmaSyncDevice|}, Device = dev, MaxLength = 1024 });

                PagePool B(IDmaDevice dev) => PagePool.Create(new PagePoolParams { {|PP0006:Flags = PagePoolFlags.DmaSyncDevice|}, Device = dev, MaxLength = 2048 });
            }
            """;
        const string firstFixed = """
            class First
            {
                PagePool A(IDmaDevice dev) => PagePool.Create(new PagePoolParams { Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice, Device = dev, MaxLength = 1024 });

                PagePool B(IDmaDevice dev) => PagePool.Create(new PagePoolParams { Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice, Device = dev, MaxLength = 2048 });
            }
            """;
        const string second = """
            class Second
            {
                PagePool C(IDmaDevice dev) => PagePool.Create(new PagePoolParams { {|PP0006:Flags = PagePoolFlags.DmaSyncDevice|}, Device = dev, MaxLength = 512 });
            }
            """;
        const string secondFixed = """
            class Second
            {
                PagePool C(IDmaDevice dev) => PagePool.Create(new PagePoolParams { Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice, Device = dev, MaxLength = 512 });
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)], equivalenceKey: EquivalenceKeys.AddDmaMap);
    }
}
