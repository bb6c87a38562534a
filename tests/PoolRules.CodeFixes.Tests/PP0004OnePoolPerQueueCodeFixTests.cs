using System.Threading.Tasks;
using PoolRules.CodeFixes;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0004PoolQueueCountAnalyzer, PoolRules.CodeFixes.PP0004OnePoolPerQueueCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0004OnePoolPerQueueCodeFixTests
{
    [Fact]
    public Task Shared_pool_registered_per_queue_is_created_per_queue()
    {
        const string source = """
            class Driver
            {
                void Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
                {
                    var pool = PagePool.Create(new PagePoolParams { PoolSize = 256 });
                    for (var i = 0; i < dev.RxQueueCount; i++)
                    {
                        rxqs[i].Register(dev, i);
                        rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, {|PP0004:pool|});
                    }
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
                {
                    for (var i = 0; i < dev.RxQueueCount; i++)
                    {
                        var pool = PagePool.Create(new PagePoolParams { PoolSize = 256 });
                        rxqs[i].Register(dev, i);
                        rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, pool);
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Shared_pool_stored_per_queue_is_created_per_queue_and_stored_per_queue()
    {
        const string source = """
            class Driver
            {
                [QueueCount] private const int MaxQueues = 64;
                private readonly PagePool[] _pools = new PagePool[MaxQueues];

                void Open(NetDevice dev)
                {
                    var pool = PagePool.Create(new PagePoolParams { Order = 0 });
                    for (var i = 0; i < dev.RxQueueCount; i++)
                    {
                        _pools[i] = {|PP0004:pool|};
                    }
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                [QueueCount] private const int MaxQueues = 64;
                private readonly PagePool[] _pools = new PagePool[MaxQueues];

                void Open(NetDevice dev)
                {
                    for (var i = 0; i < dev.RxQueueCount; i++)
                    {
                        var pool = PagePool.Create(new PagePoolParams { Order = 0 });
                        _pools[i] = pool;
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Shared_pool_passed_to_each_queue_object_in_a_foreach_is_created_per_queue()
    {
        const string source = """
            sealed class RxRing
            {
                public RxRing(XdpRxQueueInfo rxq, PagePool pool) { }
            }

            class Driver
            {
                List<RxRing> Open(List<XdpRxQueueInfo> rxqs)
                {
                    var rings = new List<RxRing>();
                    // One pool for every ring.
                    var pool = PagePool.Create(new PagePoolParams());
                    foreach (var rxq in rxqs)
                    {
                        rxq.RegisterMemoryModel(MemoryModelType.PagePool, {|PP0004:pool|});
                        rings.Add(new RxRing(rxq, pool));
                    }

                    return rings;
                }
            }
            """;
        const string fixedSource = """
            sealed class RxRing
            {
                public RxRing(XdpRxQueueInfo rxq, PagePool pool) { }
            }

            class Driver
            {
                List<RxRing> Open(List<XdpRxQueueInfo> rxqs)
                {
                    var rings = new List<RxRing>();
                    foreach (var rxq in rxqs)
                    {
                        var pool = PagePool.Create(new PagePoolParams());
                        rxq.RegisterMemoryModel(MemoryModelType.PagePool, pool);
                        rings.Add(new RxRing(rxq, pool));
                    }

                    return rings;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task Pool_used_after_the_loop_is_not_moved()
    {
        const string source = """
            class Driver
            {
                PagePool Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
                {
                    var pool = PagePool.Create(new PagePoolParams());
                    for (var i = 0; i < dev.RxQueueCount; i++)
                    {
                        rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, {|PP0004:pool|});
                    }

                    return pool;
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Pool_array_sized_by_a_constant_is_sized_by_the_queue_count()
    {
        const string source = """
            class Driver
            {
                PagePool[] Open(NetDevice dev)
                {
                    var pools = new PagePool[{|PP0004:8|}];
                    for (var i = 0; i < dev.RxQueueCount; i++)
                    {
                        pools[i] = PagePool.Create(new PagePoolParams());
                    }

                    return pools;
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                PagePool[] Open(NetDevice dev)
                {
                    var pools = new PagePool[dev.RxQueueCount];
                    for (var i = 0; i < dev.RxQueueCount; i++)
                    {
                        pools[i] = PagePool.Create(new PagePoolParams());
                    }

                    return pools;
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.SizePoolsByQueueCount);
    }

    [Fact]
    public Task Pool_array_sized_by_the_tx_queue_count_is_sized_by_the_rx_queue_count()
    {
        const string source = """
            class Driver
            {
                private PagePool[] _pools = [];

                void Open(NetDevice dev)
                {
                    _pools = new PagePool[{|PP0004:dev.TxQueueCount|}];
                    for (var i = 0; i < dev.RxQueueCount; i++)
                    {
                        _pools[i] = PagePool.Create(new PagePoolParams());
                    }
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                private PagePool[] _pools = [];

                void Open(NetDevice dev)
                {
                    _pools = new PagePool[dev.RxQueueCount];
                    for (var i = 0; i < dev.RxQueueCount; i++)
                    {
                        _pools[i] = PagePool.Create(new PagePoolParams());
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.SizePoolsByQueueCount);
    }

    [Fact]
    public Task Fix_all_gives_every_queue_its_own_pool_in_every_document()
    {
        const string first = """
            class First
            {
                void A(NetDevice dev, XdpRxQueueInfo[] rxqs)
                {
                    var pool = PagePool.Create(new PagePoolParams());
                    for (var i = 0; i < dev.RxQueueCount; i++)
                    {
                        rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, {|PP0004:pool|});
                    }
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                void A(NetDevice dev, XdpRxQueueInfo[] rxqs)
                {
                    for (var i = 0; i < dev.RxQueueCount; i++)
                    {
                        var pool = PagePool.Create(new PagePoolParams());
                        rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, pool);
                    }
                }
            }
            """;
        const string second = """
            class Second
            {
                [QueueCount] private const int MaxQueues = 16;
                private readonly PagePool[] _pools = new PagePool[MaxQueues];

                void B(NetDevice dev)
                {
                    var shared = PagePool.Create(new PagePoolParams { Name = "rx" });
                    for (var q = 0; q < dev.RxQueueCount; q++)
                    {
                        _pools[q] = {|PP0004:shared|};
                    }
                }
            }
            """;
        const string secondFixed = """
            class Second
            {
                [QueueCount] private const int MaxQueues = 16;
                private readonly PagePool[] _pools = new PagePool[MaxQueues];

                void B(NetDevice dev)
                {
                    for (var q = 0; q < dev.RxQueueCount; q++)
                    {
                        var shared = PagePool.Create(new PagePoolParams { Name = "rx" });
                        _pools[q] = shared;
                    }
                }
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)], equivalenceKey: EquivalenceKeys.CreatePoolPerQueue);
    }
}
